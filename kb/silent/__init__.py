"""Silent-failure detection: feature-flag audit logs, health metrics per period, explainable verdicts.

Pure analysis code: the store is read and written by kb.ops.silent, which calls into these modules.
"""

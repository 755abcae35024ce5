"""Exact location models on a cost matrix: LSCP, MCLP, p-median, p-center, joint placement."""

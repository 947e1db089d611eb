"""Training, evaluation and benchmarks for canhgiac: plain functions over app's code."""

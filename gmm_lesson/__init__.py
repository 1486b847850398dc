"""gmm-lesson: Gaussian Mixture Models and the EM algorithm, step by step."""

__version__ = "0.1.0"

"""The self-check's questions (formative assignments only), with no answer key in clear.

Written by ``course/quiz/sync.py`` from ``course/quiz/<assignment>.toml``; do not edit.
"""

# ruff: noqa: E501

RECORDS = ({'question_id': 'practice_q1',
  'level': 'easy',
  'text': 'What is the main idea behind a Gaussian Mixture Model (GMM)?',
  'options': ('It assumes the data is made of several bell-shaped groups mixed together.',
              'It uses decision trees to split the data into groups.',
              'It finds the single best line through the data points.',
              'It clusters data by measuring distances only.'),
  'hint': 'GMM = a mix of bell curves, one per group.',
  'mistakes': ('Confusing GMM with decision trees.',
               'Thinking a GMM finds one line.',
               'Assuming a GMM uses only distances: it uses probabilities, so each group has its '
               'own spread and shape.'),
  'salt': '012cc758138034a9',
  'answer_digest': 'e50e59e76db1a80f5e67f1fea0835586cd06c9de5cdd960d49e32598fe3f87d0',
  'sealed_solution': 'fajbp3d/rwR1+2hiN6Kawc6eQKCXqOg0fwl4T/CJ1ZCes9Qp4OH/tC3UQR3n9BGHEk/CUsEdLwLFeRJRocaKyKkLcmt9ZVf53++WUBJTXaNjcYQbl1g9dBMQLNzyaj+qWIO8NJ2FVP/SlC8EEqwM+b0xi1t9KuKr01QFYx8gR5ohP+C2HJZeYpRMjemO+wL463+nqQCI7KjrlWMQ1tzr0tIq6udLRNDUPfRRfDTvoe0OfxCFEjGF6jYLUkB9FwW1bjXy48GsfqTK6ZQy3/n79vw/Hyb7I3i5Xg8SO0jMpqGsSfrCm3P/v5vvCjI2hDaVQfKgdUbdPdrTeqG3YnwvO0FvrPAToGiFVVecAD7OoX0Xpuq1qjh7H5kv7UPSgbw7AkT0Sx2SwOZf6853L+2UDRHBG8cU6Pha5FaGbkiTEDM4cXq4n5WzB3nPjoFR8qrrDenaf192O1bcnDb/SbCR7OiEHanBPyMbbtthS7Hi/Gt06lLGTinpznWDyk5CSct3sxaRxKuj/Ff4SoS8JhFL+wmRBcmnu9JKkWuGxH9+fdGhmTW6sqtXd6z9fNQSveBJ0Q=='},
 {'question_id': 'practice_q2',
  'level': 'easy',
  'text': 'Which Python library provides a ready-made Gaussian Mixture Model class?',
  'options': ('matplotlib', 'pandas', 'scikit-learn', 'tensorflow'),
  'hint': 'Look for the machine-learning library with `fit` / `predict` estimators.',
  'mistakes': ('Choosing matplotlib: it draws plots; it does not fit models.',
               'Choosing pandas: it holds and reshapes tables of data.',
               'Choosing tensorflow: it is a deep-learning framework; you could build a mixture '
               'model with it, but it is not where the ready-made `GaussianMixture` class lives.'),
  'salt': 'da12b5d3ab594664',
  'answer_digest': '4af5014187686951ffb10de95afdcab544c5d26d3e759c043a754434efe9d110',
  'sealed_solution': 'RUjoUWyWJIFaVpVYUBiotzMfSaljw0ywXN61UdgJpC/a5zpal0m0hL2NusyDkJxrEeMGam2ysY/Vm4YMJ43Y8eSUewxGnlrga/Px8tOyTQkE3Rgtfo3cU2YIz1QPwmENJicvRGnjOiGCUbM4Gem1BMmCTe6qIsEhmeECGfjgvTu6yBPIQtlo63Fdh3ZVhedqilf3dI1yeFiVra/SKDh0OLWeS3tc5Xtx+ZHuopNQs+KMNprQky+MyvLf6KDYqkS6oRJxcRh/dg4mMpqX8BXDQhwwLUcfczaGFVd5TglkkwpkduFTePi02WyjcclEeGz372dom9C3MXuyHrtd4UxtTYSnvYBN20H3Lci5EM/JS7iIfzyq+nagy6RNiq2WIJy6/57WVhM9+r6rQILp5JqcqtpOAVo='},
 {'question_id': 'practice_q3',
  'level': 'medium',
  'text': 'In the code below, which statement about the printed labels is guaranteed?\n'
          '\n'
          '```python\n'
          'from sklearn.mixture import GaussianMixture\n'
          'import numpy as np\n'
          'X = np.array([[1], [2], [3], [10], [11], [12]])\n'
          'gmm = GaussianMixture(n_components=2, random_state=0)\n'
          'gmm.fit(X)\n'
          'labels = gmm.predict(X)\n'
          'print(labels.tolist())\n'
          '```',
  'options': ('They are always `[0, 0, 0, 1, 1, 1]`, because the smaller values come first.',
              'The first three points share one label and the last three the other; which group is '
              'called 0 can change with `random_state` (or the library version).',
              'The labels alternate, `[0, 1, 0, 1, 0, 1]`.',
              'All six points get the same label, because the two groups overlap.'),
  'hint': 'Cluster numbers are names, not ranks. What stays the same if you swap the names 0 and '
          '1?',
  'mistakes': ('Expecting label 0 for the group that comes first: the numbering depends on the '
               'random start (this is *label switching*).',
               'Comparing label lists directly: compare the split (which points are together) '
               'instead.',
               'Assuming alternating labels: the points 1, 2, 3 are far from 10, 11, 12.'),
  'salt': 'c4c3f2b4ff3a8e13',
  'answer_digest': '4c53d1ebdf7fc674b0315197699fa531c46b88034b6da2878cfe3ffa54f4380b',
  'sealed_solution': 'iOSJwNCR8Y4qkBbgJS4KmY0TcflzowhqCIlOXCLAScUV4BG73C8wPaoElNcJf/Vyx95WMMv74FFRu8+18bsW+gIp7esPGFHXxvFj5CKQzq0XjPu0LzuNeFVTwsKnNDsylHgkxhnZRvvxdCopYcA6XNJgfwhYjrW/zdO8DmVUffwkHvuas9u/NCPGiHpxsVH+Pj5vYN7WL3D5iGz481+1B2c9R4J0vwKjALR/3PpqZOlZ+dO7RTFqfCE9fyjdbF9GSb3+Gmaoh/cl+I1e7KlfaTzl/CFf+XkygLxJiAVdGGkA3+6Y6gJY2YE4Dy6FC2x9xUlZ3+3SZsUb6twxB+waGQ4xiMWvlvIJkYk66hrByxitPoIWR5QY0Z0DkY+iI5TXGZxK7LgAknSP2kBu5xp5ZO8NyrMrDIkQRXRY/FIHWke8Cu3tNvGhYzKL04JE83loyC+by5UyTUp6OJZgLXdqrWJXNrZBZhtM8ojqdI1ZE3EhA/Wh/SSYmFE8OTgKYC4SWIAmS7WMq0gTucqZSxryNcYRYGAFGOH0hV9tzVuMoijJM3RHUSSwRw5/+k9rPAVQ5aMLk+pJcvbiDWMaSscgtW/KVxhaLQGRW7G/u36izQ4u3sJnRR4pVQpE+cr2K7+cP4P0Pa5USVw9YJb6t2VOZQh9ZE5SJ3lur4TJMRk8Wu6UJlSsey6HpkyqI1f+GSLzcr9dWpB3qpDdKx5CVBXQ8SAvMGVgnz3RPAH25KcNy0cWo2F6oimlZpujtHGxF8eLqEjPk+e03RkNh+9GR5JxIAUqcy82/CWFsRdfEPE3tvVB5k/Ro9yrVNkiCTyUPNhbYmw='},
 {'question_id': 'practice_q4',
  'level': 'medium',
  'text': 'What does this snippet do?\n'
          '\n'
          '```python\n'
          'from sklearn.mixture import GaussianMixture\n'
          'X = [[1, 2], [3, 4], [5, 6]]\n'
          'gmm = GaussianMixture(n_components=2)\n'
          'gmm.fit(X)\n'
          'labels = gmm.predict(X)\n'
          'print(labels)\n'
          '```',
  'options': ('It raises an error: `X` must be a NumPy array, not a list of lists.',
              'It raises an error: `n_components` must be 3 or more for this data.',
              'It runs and prints three labels, each 0 or 1; without `random_state`, the labels '
              'can differ from one run to the next.',
              'It raises an error: `GaussianMixture` requires a `random_state` argument.'),
  'hint': 'scikit-learn converts array-likes (lists of lists too) with `np.asarray`. Try running '
          'it.',
  'mistakes': ('Believing lists are refused: `fit` and `predict` accept a list of lists.',
               'Thinking `random_state` is required: it is optional, and only makes runs '
               'repeatable.',
               'Thinking 2 components need more than 3 points: any 1 <= K <= number of samples is '
               'allowed.',
               'Calling `predict` before `fit` would raise `NotFittedError`; here the order is '
               'right.'),
  'salt': '3f2b725a92134af3',
  'answer_digest': 'd59a094409676a48a55115d6456e323613e43fb5820a09b83ab3d6f44333d046',
  'sealed_solution': '4z26yVRIgU4w5xvBqWABvL5kG39F8uZhBYREogtOxiX1i8u3HJQ4DBoz9Yi9X385wFI8qHXtSSwHQbozg9qFtO/oLh/RsSJogc7VLdxX1E93Tdjf4rlOrwt0pwPslz/J3vPQ+ZjiPUSi4K2XMEFc3ASGvhLVulg7Y8d9+GV0KuwYzCLaaReNqK/80XjvuarnSBpZJfO5SAX8vj71rgtYEFcT+f+hDd+EEJPzJa9WJMIxdXMsknqw4+/Hj+4albdWe0MP0+jRoNjXiyo8JAnrIesk+nu8wOsFDxSnq4iCpLabdz1GPjIRMvR8V07TqjmN156/xN1+B1f7gpj4ux1lqOdbCGKSoYNy1VPCSH0G7rLCPXYqNnG6JeeRaQXIXSGKJnBq5QbMMvsKPRLwlWrsXuiR709+s0sur2PQpra9fNY2YwVsODMrqugUdBTO4gBLwkSt/ArZhHViNaXaiiI/RJAOIM5s+pRgM50zqrIR7nYFZdqiVO6GhDrZnLreWisG4gXCw/Wj+8tNOW+6KKQsCT0Ma78CEa82Ux/vRYm9UsDCOE+MdSMvUtpGT4pD4IrbVwdNFPeKHle6iitrtdaglGCFOgebagSUSqmPA7Arh+QHQ8DvhjA3k4mx2BwskoSxX0aU3e/0Ye8KE/zX2dKMH0JNHqRFilFzai5pWP+OW+Z5dFuTLNFdZQVUfzYOcZPkOrP8trcb5li/kkvV/BI+3saM1LsAMb3Fwt+boFcN5DqDcZTXS0SQGj2qdjsqqXJWRiywG6q0+izE8cPWTbVgIgHKcVIjbAgW3VIs42uHLsfl2CXSkTnSarJo2tXwuUj+tBRGEM9WOJS0YXoX8he1fWccKmci3zpkLQQd/8KLa/TyebSfg0hS4czboaVCm3ivtT7MrUrDAJ1tJLw='},
 {'question_id': 'practice_q5',
  'level': 'hard',
  'text': 'Your dataset has overlapping groups of different sizes and shapes. Which property of '
          'Gaussian Mixture Models makes them suitable?',
  'options': ('They model overlapping groups with different shapes, using probabilities.',
              'They always create groups of equal size.',
              'They only work for groups that are perfectly separated.',
              'They require groups to be circular and of the same size.'),
  'hint': 'Each component has its own weight, mean and covariance, and points are shared softly.',
  'mistakes': ('Thinking a GMM needs equal group sizes: each component has its own weight.',
               'Assuming groups must be separate: where groups overlap, points get a share of '
               'each.',
               "Believing a GMM only fits circles: `covariance_type='full'` gives each component "
               "its own ellipse (only `'spherical'` is circular)."),
  'salt': '5cf98f92a557cb04',
  'answer_digest': '0e5995b48f9868663ab13ffce57d0d8b71f51a4c1162e1a46e493503216d9bb1',
  'sealed_solution': 'Dimtlge/99NpjdKh+aoMLM3hDuCPtXLJdY8jiTnOARkEKqJj2999iUwXx0WoCwyyDMDh2JPj7fchNhwiHVg72C3PMPQL6mKLNbQBepZazDo94J74DghiiBw3KqT6dIzWPHjgZ5T4GdnO9hzZYAuDi2NDJ/cYDyh3oG8oZTSnwcvX9tB3EmQKoUJ5wq782tHycyuG3DNKa0Z3UMimyRY3ngJUusgB8qDhW1R/4+jGNitTxXw4NJbkDTR0VGxhQIo84s5NLP209849qvxVMN4tquAdACBT6dQOGAo1kXUW8+HxbgPUOr26dg/Th+Vj+j1PTh9RAXmWHNwuJixdpyHAEwQYsQTVXaU9J4rTmecJ9V/q7L7SA8+JJ+3VlCPVK4ODnL042jfNAmmCFFkoYJKabuRzkkTnZKZfrqjI6YVfQH24XiN87KCKzjiYJdbYskp4xSYVQn4qpeejRIeEPbjIG3BUlo7sN79/j2CQLEgeF9eU64tGeSU='})

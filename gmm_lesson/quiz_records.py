"""The self-check's formative questions, with no answer key in clear, and the graded
questions' ids only (their keys and hints stay in course/quiz, read at run time).

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
  'sealed': {'A': 'fajbp3d/rwR1+2hiN6Kawc6eQKCXqOg0fwl4T/CJ1ZCes9Qp4OH/tC3UQR3n9BGHEk/CUsEdLwLFeRJRocaKyKkLcmt9ZVf53++WUBJTXaNjcYQbl1g9dBMQLNzyaj+qWIO8NJ2FVP/SlC8EEqwM+b0xi1t9KuKr01QFYx8gR5ohP+C2HJZeYpRMjemO+wL463+nqQCI7KjrlWMQ1tzr0tIq6udLRNDUPfRRfDTvoe0OfxCFEjGF6jYLUkB9FwW1bjXy48GsfqTK6ZQy3/n79vw/Hyb7I3i5Xg8SO0jMpqGsSfrCm3P/v5vvCjI2hDaVQfKgdUbdPdrTeqG3YnwvO0FvrPAToGiFVVecAD7OoX0Xpuq1qjh7H5kv7UPSgbw7AkT0Sx2SwOZf6853L+2UDRHBG8cU6Pha5FaGbkiTEDM4cXq4n5WzB3nPjoFR8qrrDenaf192O1bcnDb/SbCR7OiEHanBPyMbbtthS7Hi/Gt06lLGTinpznWDyk5CSct3sxaRxKuj/Ff4SoS8JhFL+wmRBcmnu9JKkWuGxH9+fdGhmTW6sqtXd6z9fNQSveBJ0Q==',
             'B': 'aD+g9IZlphjGnNjYjwxTa+rdrvQ2Ogy5qfHraMNAF3ibx6JHQ0yfs0C+T9n0Zh+0JW02wHM+xuRZge3ESckiQpsv4QSuGr3pFFKqPAOVkHs1DxrEgBsusFnqAjJiahlxhbrfjV9RXD8/WIJza3W7v8UCFCL2x5zOtLrhnnd/93+dyZkrhtIfN3uiIwo+zMhdKCZ2PlnhMpT+hDCuj1DvTK6hZCwX6nA/11ed9fcOZhgc0M1Mwpc2jhXHcAG4pUx590A/63ucb5MHBVYc/1P3mYtsLXmRgKfWyEbLTUZrCnpgMlvlYkQW+3VuOJ1mCRwbMwwwW22cfHQi7PuZs/E5mYOlSCcICd+I6lmTM0xYSeljpIEtQcA3tr4RKu/15I60rJ+akTeGwPUPFY2IOQyzP6YwsKesP5JCAYsDG1I0RodBlmBhZ9O4WkWXXyMbQjH5drxmcnsKr3fz63YZ5Hvqo9Wq+gGVFWJ17dJpXACk6+i5tXWXw2vA0Ez5lUlyCVCgo2l+HUupZnEQeGNn7AnvHf8gFNwmaBS8ZB7G1ZpKKoM+Y9tSHHF1dBHY5OLloh9Ntg==',
             'C': 'sMLagJW8ggiEBV5z/FFVNqULwBHBUT6lKCB/Bro9+NtHZNs+E2eSKIVqVYv/84/Jy8V3i4FJHPSyvZRrrtE0zycDB4D85rB8UmiLamyzHBCPoEnbNdOCiFUlxUGi3wRnO1f5CJAmiVxX/EmTW+GYk/BuOVTFy06GSdy3esydhabUdzjHi4jOtBIoSUwgZqsm3xOdBVnJAJ2djapO/k96V+UjLUF3SPU/xeitYjrtBzzb1zJkpt9GZHOOzLzRVcQTJkwA7YdFG5TAtdqdNkeHeZfjJYo3Na0LS6QdQti+iWCcUFfLlLR7AMDvyjrKL3dk8m9BOun2G3fij8TIO31Xuf66CXXwgeNdw8MkinpFHQhb6FZ+b2GpEL89DIeVGaMKFmDbFBnbS5bo6SuB24WVrdAVtGszOAgeIqW+7RcnSJ4jAxSLW0UFf1Snr3eG7vxTBC3ku6sKEK6V4TQ3Syy6viFnOqKlNIq00R/LkGYPTaIU/9lfclPgzA3GxMSH4S9HBl5fZozPZbiY3sP8R4/HHgAaSbYNNIriU66cCxn+jPq6CXK3EBgl80qH+wkt8Fh2uA==',
             'D': 'aQXKZeepjxx7TVMkyOBG3NHoz58hr1LWKmxWaHROTpl2r9sAn8sv+v2NpL++KisWejLzfBnNJkTnLJrr+4uJe+VpjOqCeT/DX3Y/OlsA2QmjrHAvoJF0LDIJ1mvnPsaUDbOTwnz62DquvQJpltJYq7uMPvDLfLf4XN38PI25sADEIEIhfJ5qxWEYVNiQ5TyJafiiG5ZfgHBp6tGY9z2a7+2nn6mPMVhe+a/vSnWjlKRjLfMdRrJZKhb4XLwLztYNwzDZzvPwVe/o2wJh5dFq5At2gOJm4cikTs27YvYX9ua8lRtHIrubZEvs0G5qWBR5ixiVMQXcA7ARa/3F8Skn/LDfFCPNLq8EiFYsG8YWiXbi7ocK4W7u+0UkTaZ3GMdaSuZ872UDXiUDZJCQrHrWXZEvRpDmq/3rV9vgT+hHxO/O9W0x8FIM/tgYhgw4FpW9aSoz3GcU3DohTESPSTUzH7CjkUi/Sx3JJ+1+EbArG+z19VI2Ai6v9dn5Rxr4wzvKEVtjsbgCRBbWExbVHDkOHmGxrOKtaUY0nO3UmiRnLfSQZ437mGxymGRc8z4zLDNa6A=='}},
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
  'sealed': {'A': 'z3m8HWsUhvhneuIzlF/JnFLGFEv979BL5WKtjZU/fbOhLZERNl8C5BB5FqNMJOksWLnhsJ6kY12sHcgvAi7t4yFPYEThjAilQ+FJZERLfBZSj3VPEASDQlvhitNj2aH2lGDNA+1LbWzzbBoJf09yAJz7Gek7VJ1aFTCzTXGQj6AcUqUuV6dWfbWw28eloxdZuoAexlCqu0U18Tfs1I+ItaRdbYK/A2KEQyjbVeC2SBSdSZ0BiWwgf+uFFhl+j1Iep+Aj1BCZf3u9NZawM6/HRHh3TgVvwwVI4fy3r9XFZESElowUCza/n5/VJQKmiDdUz85Uj+Srsvhge+m9YDGgGMYxUfoDe+t9c1ewCY0whiVZxUsJfylTLyFM7zhTzqJqirHCC3Uw/C3D2Ycp86UfPZxkq/o=',
             'B': '8+w1M07jhYIGdZGTiLJnT5NVK9PmTygas86akoxn7UPhp5YeHvrgyddsHXOIKhlYIv0E612LHt0cX4EGNqXyeabWZoEZFylGZPVf5ejhoQeh7hFIgBb3pUWgjrDNTwsL1ucEBx/pEpElejepj4eNEGm8myMeX7DLM/WxqZCu/pqs0nL6gy1R9mnjgcqc7EL55+VopnfgqkRGCD+8H9tbLTQJuvmVe4Z9BG9uEKZP+1Rf4EZ2H+ID14c3FMlV0qvhfEg7T+4YlaU4dAmnJJkXSQiScmFFkI0uxl+VKJBUasVpwv7/xwl/6Sus/J7smiNYO5trHHVpWvXHToQZi43OxoC635P7CiUU6CexKScC827+idP24I8g14sKbDKcwCu2+kgqifr641LhYTd/wbvP1q1F0qA=',
             'C': 'RUjoUWyWJIFaVpVYUBiotzMfSaljw0ywXN61UdgJpC/a5zpal0m0hL2NusyDkJxrEeMGam2ysY/Vm4YMJ43Y8eSUewxGnlrga/Px8tOyTQkE3Rgtfo3cU2YIz1QPwmENJicvRGnjOiGCUbM4Gem1BMmCTe6qIsEhmeECGfjgvTu6yBPIQtlo63Fdh3ZVhedqilf3dI1yeFiVra/SKDh0OLWeS3tc5Xtx+ZHuopNQs+KMNprQky+MyvLf6KDYqkS6oRJxcRh/dg4mMpqX8BXDQhwwLUcfczaGFVd5TglkkwpkduFTePi02WyjcclEeGz372dom9C3MXuyHrtd4UxtTYSnvYBN20H3Lci5EM/JS7iIfzyq+nagy6RNiq2WIJy6/57WVhM9+r6rQILp5JqcqtpOAVo=',
             'D': 'km5UuBz0q38QEdymwKwzyLs2Axvu/622AW1gA+A/AC8+ubrUnfPOWpCfqj7yTWmrSaW6Mn9pts7DhAt+AsrHOmH/lPF/bgpBvBsC+BX9rd5s6NcQ87ownas4YiRWC1NN7G86+3ATzpnimCwxjK/v8Eh8lnOV2vfbD0DOTQyQFcra6mr7Zu1MZ+9OEWIsAKMWovzLZVuX3J9PlXj7hiIMUUnvPrzXOEPppnvYcQiNRv8sZ6iRoBTSl8WIcf0N6/3PYa1UJj/uP3qOIsyLz/wM79iQb5b/Dutav9Pve1d/f12LJOd0sQGCzGWm8PE85RdvEv2eunFxT8W6VCvFo8tGcCZr1FB+/LPs3LWg5PKb09eqSVrzFrt/l+cMkcqpGzcKty+HknGdSPBUfUBzAsVg3YVyrGA='}},
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
  'salt': '22118c0a39452855',
  'answer_digest': 'f48c961edeedfc19b237ee951e2ed8e990e6d5db68aea5bd0d591b296896a514',
  'sealed': {'A': '1A/ufoW7Qh84LbDuoDany8meJCR+GaMrlbylvVXaV5ZnW6v1LCWNepEilMMbf1eAyoxLxRDLFIwekLAidW1zH9AXkw0+j0lgGGayPg2PTvy1DakO+WOKCSFAH8DuhS0DTGM0HkCJY3DOl8tPEVQDAJeklW6w4fmVzUKQNthLi0UdtRR3OoM8b3i+yHyVveyW9Qd/JNjpt4YSrt3pk1XBLEAalOL9vCRCI+MMSFQI2/W+MGqqKWlgRq0WKuYVg070+SZbSjL+aJbstIknBBNYlHD2He5RhVc79JRfU6bBUVyrPfAZulygXPDrmQuphebcLV27WY+tmkkZW9RxM5kWsIOVieU6a1bvQK34LsSnxauGC49b8q3inXqE8KI+kc6Bj5ocA6v6HaENn1p4Y0I5LBRc/zd2XzuX4HnPuN04qlHOaCsuW9MVKa80ARc5B5MPpI/nTswX+0YfsvKJA5bVfIMRnlRginn9aBTTSgCDEBhqcVPAOV4jPX1VRUvJ4E5GAVXpzRukfYbWKrRJGPnfr7zGbzrTC7POBZEC4xkgNooQk+MP7Q710q1Xk1HjmRqwgfU2rbVp6AXATWDwdgc5KRkA/XzSiTdEvle2TEiF6ca+JVxwz9YCMK/9LWRzVvapJunvPBnS6mjBnjX58n/0SGZ9jHzSm0/gf1OfGqZtfPz7s5XE/ayBuQXgqOIJqZOqXzDe91/r5N87IB2hVtyT5SV7mzk5BcdcO+I1Iexw5ka22TlUryxIhBozAMjkrdAUtXXjufneDHPRvCljClKFUvUs6MfioCCN8WDNaMeOj7RAebqtT7VW6h4Kde7Wdo+bBgRCNdojlRJCiCe5rya8UQpGwrDvDRIOuo1qxz7pBqUfNLu3D55LV4U5Q2V9iOWb9l/mH+BqUgLd+gejI2/cNZ5rqtWPYsYrvmzn7HO1+RqR/8fcDf2kIE9O3Cr2JUjceI8rUN02UXWat0lm9Kgq12KxBhYxTT0Mz94KMHgl0OLVP5U00dluW2+5mgK1IMpGHKekaIJVozVP3W6o2AG3BXwoEz0M5uA0W8H5zwUisvMcRExtf2GQAaKLU0CPUlCA3YYbU8U5riHNH73Yzne6hRg8Eze6mSgdFohezRA7XqEWEErmYU+bzopWZd+qmVMS4G2Y6UZSz6NT5TyBdvVolUuXXj76W98ss9rPmr+RbNfYKswlWHu+ncxFGss8wcTMqi6o4AOnFutWvzskJFlGNon2Br63nLv7YNEwVef5MjlfiRyV7FU7O5qgGh4Qe8lluV0jX8UFrYOZs9o0DHtRszrQ86+g8SEr2j68OL+teC3OK5mB2Y/Bo3kNhSyPRC+wHpNqi4di+d9E8dcX2XpUhSoJ8FbVcOCOiwUBcWR+uwrfmsi0wXLlaTOCklWuCQqgf7mVRLYaedfpDX+3j0sQr77np1a+4lerfLfZO+7IyKXiW2SCL/8=',
             'B': 'iOSJwNCR8Y4qkBbgJS4G0IlaZvQhowFqFYcXAmPmVY4ful6G2j5jbfRB2pFWf/d+hp4fMJ668wNS6ca5o6pApE11/PYfBUPK164s9XXIi4gH2OHLYRGNKxZK3N+gOSM/kGdqiATZVun4NTg3epU5W4kycBlczu79hJSeXmVIeLEsEuzd/o/vdnDQ2j1/+ij7Pn9idpLcZmPokza9p0OiACIcAIt0+hS0E6MRk7cVd+9Z49K0CF45fC9pK3HdeVlHSbX+G22uyOwmuY0M6qJeaSj85i1Y+WgsgO5DyRxRVX9eubXC5ggJvMV9HWzEVXQumQhQi/2QKYAE7NYgYvldcEYxz+OogvYJkJV27QiNwRK7PsZeSoJIx4cGkNvhbdrMBdkM8atOk22HiEo69RxsOLtgg7AqcsEQBX1E9Eg8RUuRGPT/f7PuMjzDnJwA+jIyjDLX3ZElRxlBNo9ueTl+/2JXYv1BYikbuM2pPcMcHyJhQ7zloiSAql91OTwMNDJaXMwlGa+CugYCuqnXH0m+JNoFanpKDrO8xwx7xk2m4lPZfz0ZFHDfG088twIpLQIT2a1PlfQ2Y/biDlteX9sk4GrEBCNfIQbYX6fssWK22xhikd91DA8kWUNa8Ym2VazTc8awGewHXxksNdrU+D8XID0ofl1Vbm4M6seCfFArXaOFZwyhMjqfr1f0cBexEGDrO7hZVJxz5ZPQeB5ZDnHQpWgqdXonlTTRfwbH7eZH2kMAq3B6qCCkI5Siviv0Uojj/wqckK3AxxlDiONOUcE+LxJvPyA77WmPsQFdVKtyvLRx/EPX64ulUt53GHKSO5BdcS6xj3GGWaMcmKYTkY/p/ESrz2SPmNTmNJDDhJvv7bCqAeE58eWme8RSrUOaJXboaHNdMiYNdUfKLjVDG5cAMltkVezvjUAls++3bad/8LmouFITN95WJB3w3pUpghehu/822SPVzvE/35wfKkmmliDnGUko0f7fSeOuw/hkA8Jkugw06uCn3LgX5RdXoV/CHbHHyz79jzz0M+Mk5fJKKp+L6LzOxeL6Eo2oihv5S1DLGiy9UE3FmObUgNw5lv3UO1/rPJNeSeeIWs0uCfPh9GhZNJjyeK5MF4tK1c7Dc9hPo1xHTuNVZQqloKf27V41u+VuJvrJK9HpGlkv+B8yaZYXJNPa4PPwAzyarSBl1qmr71PheVG3T/8UpzH0kW/N06X0O2cDF+MVd6o2ZRzXuo8bZcka7lnwcVkBC/Hhq72dnv9JH5jhVXuZV4iqqSQljpclVDKuQyFDtagEaY8YNicWhytQ9RNJR1nOlUKrY2JaLnHe/d/W9nQm0Zvvf6doNCzJQDZlfsYl+oU16DYIjsUZEOOlMeMNsnnsQKO6ZO6Z3rzYQ9A9V9/xZIH1VB/PZb/FylyEWuVD6PaeoOZGkWAuTlSoS7cA+OFNIZehSPjW60708+g=',
             'C': 'TZKNFMes83Zt7pihjQLdUPzQezADXJQ7tYloJNHeMkJjv34pLFI1LrJExz+AM49it9UOuoyfIMPa/jF+sfG59kcBbviI6WAe4gnI7zm6qPXeUW2XWfQNeuPG65/971tJszb8E28zM9e2hdxBNnONMyLa85Rx2NHHr6HJdpUNrkqz56BEvIwmU6HPvF/VM09nsjn2V+kgaLF01jLF/xpvAv5IDSl9PpcLmKrF55ZR4bayte9lQ/AB6Amt88R8nsmbRezmIN5XzsuX3dMuhcu3Ow3w6M8Uf4Dz8OcFTv7Vkew4kWOOYz73KI1/7lT0hQdNXiqYkFncJSkhSOD32Wu6jtxquC16/CZ4MFGAe/3iiD9Ou1LDgZNk6lOZTkBzuU7t5+9oCdAhAI4GK6dMWtPU/gOqE+RBCU/D4ZiLL21ZGFpTJGbwCAZgbTI8fG7Qj9K7LPwsMIpre5g/D5FP7dcxCippQpwJc9t0jOZVi7QUCwEO31VmuFFN3kk9QNjcyA22pT61scuZpOelhODlouwkrZ6GoasyQtUpGAuCqXDZB7S8RI17jjwWSaBZRZaedjRfIyWrCQpg1k4ngXp/mQP6/uW2jePcCSYg7rEGvcQY6QIidcnsJ6MwUPsPD88RpRtcxN4Hjb86kGmB/csWTCTXGrKinSmuFr7B6JKDCKe4KeXAR6CoghvsazpxjSbNfI7O+YpH7MIiDeokutff7IYLRNXyOPKFtFFqAs3UKtz9rBn6wm9CrudeadvPAYyAaH7GPih8Z4y6veH+5a2vLzra50s2qRjOOSEyYGloIDe7risOFK2EugN2MibnbJCqJ3yxIsxk33PiQWRcgJEaSW3qY4BtoKifGrA01IvEjXnPQ8/dPitTvMSt6uKWLTVOdcIVs2f2AjdusRdYM69zOFpcbQ/K4Iqkjh7QtcrFDdSRG+I3zw91vSgtX4F5dcha9OeqbQ6nZvyrp0dsuxNshkFKVvurm4yvXtJrzaxef/HY+sexd0LCXJzrh5KQ8xdgOkl4mRqPnuPBprHcN53YO5p9CWXLAa8JcyNJQiiE3/nfbTFwhKjY1SwCiAsQ78ybjo66r4H4T996TGS45vVjP1M0IDzzHlyCm9QjaEfIXVfiNR7t4yA0S7Ozr4YgERxEUiMAS0aWzsqneOle0mWxzXabxI2Ifj412kqWGB5G4PTlZZQenesNiTR3dcMqdYa1j/VVy/0bX06neOjQO6kVsQhPXg6GPG/S39r1xTvBlbC9lMa+fhC0EgKRcWQkx0b8Ed15kT+mZgmgKSljGu1OWe8GG6WI5LHb3B/plNC/XAQtmmFPXZUSDo9JMWw9exvQRe1WR6eBAqME5rGjUaLiHzDNgk0x1uZSm3yGlVk1aHk9UlfUQ6xzTtnKX2FiRjA1F1eRwKmZCkfbsC/MpcnFssk4AU/0C8L69PkpU75j6WaVfefEc2yykng=',
             'D': 'erHMvl8itpTVQOBDcDQjMXk4cyDvDtbXmLoukJV1QhVEqJ8NA7GDL1vY8TnHJ9NO9y5tS2kAlMChaE3v+HkUy9WcZDe3egxkwWMy9cG+hp5NMn5TKGE78UqWbdPoPobfHfjoAq0v2n83sq/JNqaO+KahR/C7QzrPTm9WCC/xkujhbfQ6QGYymFQ2uEezx9OUEwy87bGA4B7N4+rFGeYDi7af475jX5eR9hQL028S8KWwpEbk61cADZ6+4JsY9qyOx1ojdahuunKi4PjK5FrgXSqlaVbYbAkT6+DwBDkY4GLcLDWEpecm0xKPKAayT+wng9zXXAO+3A3w1YDVrea18MlBV2KPZD+CUADFGOwCyfzrIXABUrjTCaIrgS/0X70tlkI076p/XT1lma7YLKFmJC4M2c+8kQ7+BUkWfN8l0L1QFAAfTpFERqQxoERDx6dahTgZRPbqox9AO+CfL7ONeeFsymfIGtME020DjPw/vu8a4AWrEkDUEL1IdMTd7GrmPdGy1nUHbR/ufI5biutlqAVWGHE9kvp8OdY0KY4EgZVk+eDmXxrQ4eIMevjSjjmpu/8Y0hOeCF6oPjEVbwjuxtNjcCm8eGS04ifVuCu/z0AJmfanOznZMDeEPck8XtQdvTqanpDLdUcEAYC3Q1L/o8lRbvs0LDB/jMoVMOAJyJpKYXLIN75fohStO7zUgdxKmekALtj8D75AO6HNDV74bZZIxzQ4KR4fDmQ3mIO36ImWeLjV1+fpxoIVKJzT5f9m6ujiDodX3OrzPKX8v4PT9YV8UN30ugmBDbxn5GG8ijhxWhseX+97t4iJkmt8eiT1y5a9ypopkV1dUBrKL5nR/eZ9wGy9h8QAwUDpUb9rr/7o5QBh3QZ3q3TN4hwE6f+oXuonmxzZekHcOzg1qx4hpBv2yv8HwGLyYeMWbVtO8fXwsn3MaLuT49vLqXD/VEJXTCWHmUaMbF23UkUn6+8NJzLVDrF+B+DLOAeyJaFrwHim6D2MT49y+pd38VzCl02ye3FJtWr/820X25ToeS+hcqd1HMuA31OyC6C+l0qHJj3NmOJjcWn2JMlWZxHQxEZ1zgDzeibRZpUMprR5MZNLU7wg3F2SNXoUFfNAL/Iv7VugR/zZu/URidHjbb7EXF/M2Upe22EaSU4Vm2jxFqpXB0SqilA+FsXRTS1tknimIfbQLvNxBOb2yGMWD4anAstsGWz8uPSaN1LHjgzTWGM0YCdj1LRJJB3HH8tpYbFlN/e/HsIU3jncgxnfJOUmCdEdar64aLWGdPD9u7DIi0tr8ec9c1dbL6E9eXw9U5vsTaBIzC8Mfj3VpucIXppzfvfz7HHGFub28miUcMXVM1KfRulCK/ixje/g/hwJ8wI460EJwBIgp1nz6Noi+bZUZA+C80nwC35R+Tfd7C1LhlRolRFfbAMvH4bXseIi3MeEkFW/3/aH5X8='}},
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
  'sealed': {'A': 'OuThFVw8V8rcDFt61PVmucVlcW6YWGc2JqI4WJ0/zxv9IyUDDuXsZf5ZhKV8mn6oHczC3S+I4DYm/hRhEOtTQd2NwqT/BYmfpj0uw27wSOP0SXLtUV7k7wfNrNC803tvdAIxl/vz0ersaQZhZAs0055LKr5XINHM6Tsk/JP5zqF0025Gg6C3gjlFNm72ukvMQYKgbAx05G53bRHn5Q/rfeQSQm16vR2FRGZDohjVeEiSRbfj2VQNi8hpJv6S6t11sI4gXH9+YWz3NRLrSgp4V2zF3/JG2JCFwbbWEq3kDbimbibi6TeslBHDZN02/MD8/NHuld8RNW8EJaPyCzO42fDNF0hg8X1y1CIkl8Nc70ee+gMcPklYEeQJIxn54hMOWhieb/AVidXD27e9ZH7jdTWjZYodNDa9QfsCSebBO0ro2+OqD4wymCn2RqhVzbOqbctNX3EbGqzXaXIpy+zsjJQZ5vJe0BU2AHDiW3+kpRbxnFaR33PWGA99AI0LFN3hdPMivu2BXqqVF1PrF2RBimgNflMB3zxxPUnXokX6ES4ASBsU0HIBzjJyc/Swx5dLpMq3Zb/noME87zFDjcXZxRGEcpQDbCDsDIQME+LN/SDMCV4gg30BGqKwan5Eu59n+ypeqh9eWbni3w4ES6CrHumpmPxu2PO90+uAGocgmpVyy2MNCK4h/9jO8ZuW0+1fp8+tKNcIqJOWJWnfnjcgs5/LJme2lMuDkH2NfuxygCspgU6MwEQviEdvU6xWJpJyrfufecxbirx3SLHjjwGEurJk+yGPpijgLCiNM5RolCiSlHB+L479pNx23Z+Dh3XCrQfc0vv1JTzA9KAQ+8wi/NCWXBLEYCr2D/aAGSFo0J8qOobTfENkCqMuzYRKlispfH+fisWiizrw+GQ=',
             'B': 'ZtMxflq02+J6L0EQNBekjlvPK2AJjsRVnYBaqdjOfyF/wWMpvvu/m/RCT/nZl6kua4Rw6+vpU7Ifq353ts2lGsnWp7e8j4nJVNusC99GwCi8GIrBCREXVhDsWKhP3aE8OcNMLz/nxDFgA2e9AM5fnaenoyubWq55CJLBE2FiO2QqyPpmyeha98NshgRwVUHqEj8tjXuMnc4sdRuL6Q05NjbqPanxNMW6gB8Xvh1rDb/+MR3rtZFl+QY6Hp4vpP3XfuQBAaZ71XtRax0ZM13jVCYxNKRXOFPysnFdjX9hT2OwYQ5DcTK55cyPKkYE+OeQfbMrZNtX3OVo39OGP+vvkgJq5xfAGqMrvB1nQeSYkV9rSitTTlx69ntrtRFGpki0n3gbo3bvoSCsLuhkGjzH+TRX9QBUhkM68QDdh5bg9Puy0B/CMpp4yUZrnjotD4X09Zn6MohqdeLVXh5UJGkhz3FXkUuGOFnlSzk7tu+DYmNFyJzceiL2ArhatV4Nf42o1qEVNl6B2S7gLs/h/+rnS+N7r+4qDJeKeDaNaPX9kXGRrxzrJL/9j87cN3ZnRlgUxxz19dFG5786Tclf0vH8cXwv4h/Enjfx2GYvKSJxkD3olIWvBK65Zs5Xu2uogfZDYFBs8enYIvd9TGNtHIrYmL9Vhy5XifdO+1nd+FwaqLN2pfNQJVFXWddlF1YzabeCXP70b/oVuq690/F5SdNWEg/yt6Q3uWBqB+AeHlB32P9PvWwlF2a23I/3zpx4LSpFZZVYaThdpfT3iFaDb+K2iyRZ4RH64SCTNS0sbyCA1BX0c3TBA85ubnmroens4fHOYzS8iKJoVNKuvoG3CFEXtNC3Rov2Nj7STI6pwP4GTUswjyLyFMLjEQIH6cc4JXCrIhw5618IP6vsBhs=',
             'C': '4z26yVRIgU4w5xvBqWABvL5kG39F8uZhBYREogtOxiX1i8u3HJQ4DBoz9Yi9X385wFI8qHXtSSwHQbozg9qFtO/oLh/RsSJogc7VLdxX1E93Tdjf4rlOrwt0pwPslz/J3vPQ+ZjiPUSi4K2XMEFc3ASGvhLVulg7Y8d9+GV0KuwYzCLaaReNqK/80XjvuarnSBpZJfO5SAX8vj71rgtYEFcT+f+hDd+EEJPzJa9WJMIxdXMsknqw4+/Hj+4albdWe0MP0+jRoNjXiyo8JAnrIesk+nu8wOsFDxSnq4iCpLabdz1GPjIRMvR8V07TqjmN156/xN1+B1f7gpj4ux1lqOdbCGKSoYNy1VPCSH0G7rLCPXYqNnG6JeeRaQXIXSGKJnBq5QbMMvsKPRLwlWrsXuiR709+s0sur2PQpra9fNY2YwVsODMrqugUdBTO4gBLwkSt/ArZhHViNaXaiiI/RJAOIM5s+pRgM50zqrIR7nYFZdqiVO6GhDrZnLreWisG4gXCw/Wj+8tNOW+6KKQsCT0Ma78CEa82Ux/vRYm9UsDCOE+MdSMvUtpGT4pD4IrbVwdNFPeKHle6iitrtdaglGCFOgebagSUSqmPA7Arh+QHQ8DvhjA3k4mx2BwskoSxX0aU3e/0Ye8KE/zX2dKMH0JNHqRFilFzai5pWP+OW+Z5dFuTLNFdZQVUfzYOcZPkOrP8trcb5li/kkvV/BI+3saM1LsAMb3Fwt+boFcN5DqDcZTXS0SQGj2qdjsqqXJWRiywG6q0+izE8cPWTbVgIgHKcVIjbAgW3VIs42uHLsfl2CXSkTnSarJo2tXwuUj+tBRGEM9WOJS0YXoX8he1fWccKmci3zpkLQQd/8KLa/TyebSfg0hS4czboaVCm3ivtT7MrUrDAJ1tJLw=',
             'D': 'C8r9T8SohFRHQ5qvokF/+0zv3iShC2nfW3zysKdiGLs6Fp1g/zvpIyiQQyA19x9DicDTkaiY8QjVUwXI0b9pJ6m5rtmhO6eyxOv23q3vCw75DcYXNzZ7svjidqPSKyUhSBK3AQ/TXdqXsI2Qi1Ti2hwoIw/if64+va7+CkabR4uUOKIsWsvgapI3Wu1E4YW8JiE1CR2xF2YRrG3u+qOLmkftTEcpDKgcWAsCoceW//VR/rlF1OzUx64zS/w6gqBGLOSpkMl1NjJsIRHi3O9IopqnoHKdbMX7kQYyUPCo5uhBR59CpCYVBtt4AEyDt0fUQDCTbaeMZC+Demoohd61rqXFZJ4uQuEAP5kWIjoGmUly+TypHiJQclSfBKAn1Kw6h89OxQkqGWRmeasjFOSsi8GTBTWxOIMmS2zA2MjtJgNdsx4YGdm554gCtMw4OsqPdKyrQg+qjn6JsNTKagQpVekmQuus2BvQf4+c2r10xHgrkWciL2hJDCLoxu8n2CAxpbAlTxtha+y0FYaKzulXhg511Dwrm97nc50cOb3kfTHVhVg+zHNaMgY06AYi+TLXfV6LEMSUXwn5AwgfjP3jobuC9dfgqOgzqtRf7mwyYwugzqY8JAIo2Dn0L0xHDWjD5m93tw+xYWzhup34rxOM6RFbWGztdgpow0ob008EHCuiDC5lsW1RKs+JJamRBLSzOin8eNE3ptnCiI7c20Om8E1bEysNWYST8UhWYdDm8OcCpTCGPdU29QokQIHhD1u8/dNt0xHEfTkfgiwXwoKTPM6/R5NZTr/EpPhA3ped5Nt+SYDF74YiFNv2ipEfeQ9atXjk2FiOC1pkQwzN+AkxZ400gI10PwV3+JzAFWI37Bh4ZlUI4ZOHTzXY/A3krQ7UbOuilOdzYw0OKXw='}},
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
  'sealed': {'A': 'Dimtlge/99NpjdKh+aoMLM3hDuCPtXLJdY8jiTnOARkEKqJj2999iUwXx0WoCwyyDMDh2JPj7fchNhwiHVg72C3PMPQL6mKLNbQBepZazDo94J74DghiiBw3KqT6dIzWPHjgZ5T4GdnO9hzZYAuDi2NDJ/cYDyh3oG8oZTSnwcvX9tB3EmQKoUJ5wq782tHycyuG3DNKa0Z3UMimyRY3ngJUusgB8qDhW1R/4+jGNitTxXw4NJbkDTR0VGxhQIo84s5NLP209849qvxVMN4tquAdACBT6dQOGAo1kXUW8+HxbgPUOr26dg/Th+Vj+j1PTh9RAXmWHNwuJixdpyHAEwQYsQTVXaU9J4rTmecJ9V/q7L7SA8+JJ+3VlCPVK4ODnL042jfNAmmCFFkoYJKabuRzkkTnZKZfrqjI6YVfQH24XiN87KCKzjiYJdbYskp4xSYVQn4qpeejRIeEPbjIG3BUlo7sN79/j2CQLEgeF9eU64tGeSU=',
             'B': 'FWAxxMuE8GZ2UTVrBUbtGX78gMbHk5GBwYKNwLSwxqvdhYl9JsRFW5032Zo91hy+gQxCX2ujsSUqlnwwHvTgn76A9IhNgwWJxF3j9mxkFaTxWUSb8eR+D2VZRb5QSYK1TTqmtuuLK3w7JGIJpS19LtpzywAUUnS3bRCIBw24hFAAhqPDY/QTT1msDUcBaYHj/uYHNXT0RD8cDzLSlW4MFRiTf3HQ4eTKmDRuXFbliAYAja2ysOToukOwLd5mKRPlK0rhSoT8Gs0RUgYHlxGI9+oV9b9DZmlTOYCl5IoxNOZABW6zqH6MWoVDIo4l+zW3CsmLYBdv9qzGMJS9X1n36aUFbl6mwbxjTTmItoI2GsyMhgZMYRGG55moKfsvCElSYKWTghivcEnkf7n8/CvYOP2wUIq0wWn8tGQhqUM02yEwXkLNUTx2qFOcKVAW68xqMJUjgrRQtW3458XE+MRwkVfdRLbUKeFlzb85qISeI9Re5Nfc5TE=',
             'C': 'jFoq9VKpDmZpLoDL93p5Oz+4LQlkd+rVcc8gD6Gc5xokDmtniKiRAGFcvQxwF/fEJYUSSc8mPy/A5WyIVj2U2MlXqBmWZc26Hs70qrpIRSUbXpg5haUvH9MrVZ7ADII6k6hJ5IJTl4aVvNfSUwwYbvmwuwtmFUarE4WHK4A+4BxWuJArpG2XEv1sQZUU6I02PvnpWFJFeUMd2iKKSpm/VQLcd6SBq3KjSGhh+5Jst5JUNbpYOUMtoEelHP+dsYNh17dIcmT85Y92dieHmOT4LhGMnweM3sDENUoWThnWM6aippuRIrTrhYkLgWHsZD0rUSUnqjh2/k5lRvhYejb/HdkBAMasjfpobHODzhy3Ek526qN9vv6UYjoZHg07MlRE3sdQ5uhkJaxaVRm2vM7qN+2Q+uqU6ZQ4kG8r9PsDDlAlyPx9yOtfmbmao0lndFL1LDFFQJfAehH1drVRgDroJ5BuT8dH9jAZamDHfrW51FUXudTzHGU=',
             'D': '/K/KHytqvgcZatZfwuY+nVuMYn74ZXTFbbjE1KqaM+VIM76qwGlXJlf1oG/2zBocgsyzmdC+nYlKRJJfpTsDV9PWG+3tJWCVVeqrixAnOgPqlmuiIXPndirMeUb7q+nfXreSuBuEk7wr18gtw+i98iqnvQgIt7CFZN1jJJBFQj5GfewhgGik2xBpQ3PS+PZDj19sKtvKYFZw0ttt1xSO6QcwNzxCWT84rOr3ToTvlKQbcWOgIGmvDvOrq3Omo/ff239grpZHBBzlWpIBjsALHfmT12HwP61KRk149YZVHclkmnbgm3QHhq1K1NZTwxZV5//QZdozxO8kHREv9LweT9+t7JbgzDh7fSyfShdHXoVurGWE1Suy9tHpLf2HsefOgKp3Mtxn8srz6U3tlKbAg+S2fxxT6apntwlwa9LwAwHRHnt/QBMN7xjaDcSAc9UxAn1iyoxzXjrWWQCuIMV3bKLdgy876fDbP5dcgk7G+Iju/g1sxgM='}})

GRADED = ('choosing_q1',
 'choosing_q2',
 'choosing_q3',
 'depth_q1',
 'depth_q2',
 'test_q1',
 'test_q2',
 'basics_q1',
 'basics_q2',
 'basics_q3')

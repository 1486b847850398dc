"""Self-check feedback for the course's multiple-choice questions.

A self-paced learner asks for a question and checks an answer with plain function
calls (no widget needed)::

    from gmm_lesson import quiz
    quiz.ask("practice_q1")             # shows the question and its options
    quiz.check("practice_q1", "B")      # wrong: shows the hint and common mistakes
    quiz.check("practice_q1", "A")      # right: also reveals the worked solution

The answer keys are not stored here. Each question keeps only

* a **salted SHA-256 digest** of its correct letter, so :func:`check` can tell a
  right answer from a wrong one, and
* its **worked solution, encrypted** (XOR with a SHA-256 keystream derived from the
  question id and the correct letter, then base64), so only the right answer
  reveals it.

This hides the keys from anyone reading the package; it is not a lock against a
learner who tries all four letters (that is what a self-check is for). The graded
keys live only in the hidden tests of the nbgrader source notebooks, and the
grade comes from those tests, never from this module.
"""

from __future__ import annotations

import base64
import hashlib
import itertools
from dataclasses import dataclass

__all__ = ["LETTERS", "Feedback", "Question", "ask", "check", "digest", "question_ids", "seal", "unseal"]

LETTERS = ("A", "B", "C", "D")


# --------------------------------------------------------------------------- hashing
def digest(question_id: str, answer: str, salt: str) -> str:
    """Salted SHA-256 of one answer.

    Parameters
    ----------
    question_id, answer, salt : str

    Returns
    -------
    str
        ``sha256("salt|question_id|answer")`` as 64 hex digits.
    """
    return hashlib.sha256(f"{salt}|{question_id}|{answer}".encode()).hexdigest()


def _keystream(question_id: str, answer: str, n_bytes: int) -> bytes:
    """``n_bytes`` of SHA-256 blocks of ``"question_id|answer|0"``, ``"...|1"``, ..."""
    blocks = (hashlib.sha256(f"{question_id}|{answer}|{i}".encode()).digest() for i in itertools.count())
    return bytes(itertools.islice(itertools.chain.from_iterable(blocks), n_bytes))


def seal(question_id: str, answer: str, text: str) -> str:
    """Encrypt ``text`` so that only ``(question_id, answer)`` opens it.

    Parameters
    ----------
    question_id, answer : str
        Together they seed the keystream.
    text : str
        The plain text (e.g. a worked solution).

    Returns
    -------
    str
        The UTF-8 bytes of ``text`` XOR-ed with the keystream, base64-encoded.
    """
    plain = text.encode()
    key = _keystream(question_id, answer, len(plain))
    return base64.b64encode(bytes(p ^ k for p, k in zip(plain, key, strict=True))).decode("ascii")


def unseal(question_id: str, answer: str, token: str) -> str:
    """Inverse of :func:`seal`.

    Parameters
    ----------
    question_id, answer : str
    token : str
        What :func:`seal` returned.

    Returns
    -------
    str
        The plain text. With the wrong answer it is garbage, or the bytes are not
        UTF-8 and ``UnicodeDecodeError`` is raised.
    """
    sealed = base64.b64decode(token)
    key = _keystream(question_id, answer, len(sealed))
    return bytes(s ^ k for s, k in zip(sealed, key, strict=True)).decode()


# --------------------------------------------------------------------------- questions
@dataclass(frozen=True, repr=False)
class Question:
    """One multiple-choice question.

    Attributes
    ----------
    question_id : str
    level : {"easy", "medium", "hard"}
    text : str
        The question, in Markdown (may contain a code block).
    options : dict of str to str
        ``{"A": ..., "B": ..., "C": ..., "D": ...}``.
    hint : str
    mistakes : tuple of str
        Common mistakes, shown after a wrong attempt.
    salt, answer_digest : str
        :func:`digest` of the correct letter with ``salt``.
    sealed_solution : str
        The worked solution, :func:`seal`-ed with the correct letter.
    """

    question_id: str
    level: str
    text: str
    options: dict[str, str]
    hint: str
    mistakes: tuple[str, ...]
    salt: str
    answer_digest: str
    sealed_solution: str

    def markdown(self) -> str:
        """The question and its options as Markdown."""
        options = "\n".join(f"- **{letter}.** {self.options[letter]}" for letter in LETTERS)
        return f"**{self.question_id}** ({self.level})\n\n{self.text}\n\n{options}"

    def _repr_markdown_(self) -> str:
        return self.markdown()

    def __str__(self) -> str:
        options = "\n".join(f"  {letter}. {self.options[letter]}" for letter in LETTERS)
        return f"{self.question_id} ({self.level})\n{self.text}\n{options}"

    __repr__ = __str__


@dataclass(frozen=True, repr=False)
class Feedback:
    """The result of :func:`check`.

    Attributes
    ----------
    question_id, answer : str
    correct : bool
    hint : str
    mistakes : tuple of str
    solution : str or None
        The worked solution, revealed only by the correct answer.
    """

    question_id: str
    answer: str
    correct: bool
    hint: str
    mistakes: tuple[str, ...]
    solution: str | None

    def __bool__(self) -> bool:
        return self.correct

    def markdown(self) -> str:
        """The feedback as Markdown."""
        if self.correct:
            return f"**{self.answer}: correct.**\n\n**Worked solution**\n\n{self.solution}"
        mistakes = "\n".join(f"- {m}" for m in self.mistakes)
        return (
            f"**{self.answer}: not quite. Try again.**\n\n**Hint:** {self.hint}\n\n"
            f"**Common mistakes**\n\n{mistakes}"
        )

    def _repr_markdown_(self) -> str:
        return self.markdown()

    def __str__(self) -> str:
        return self.markdown().replace("**", "")

    __repr__ = __str__


def _q(
    question_id: str, level: str, text: str, options: list[str], hint: str, mistakes: list[str]
) -> Question:
    # a question without a record (only while a build script bootstraps it) accepts no answer
    salt, answer_digest, sealed_solution = _SEALED.get(question_id, ("", "", ""))
    return Question(
        question_id,
        level,
        text,
        dict(zip(LETTERS, options, strict=True)),
        hint,
        tuple(mistakes),
        salt,
        answer_digest,
        sealed_solution,
    )


# question id -> (salt, digest of the correct letter, sealed worked solution).
# Produced by `python course/tools/build_<assignment>.py --update-quiz`; the tests
# check them against the keys in the source notebooks' hidden tests.
_SEALED: dict[str, tuple[str, str, str]] = {
    "basics_q1": ("0ecd7c9056105054", "c7da0a54c474b978d9fb350f028705090e1a0f3b96d9f1c585cfbadf136cd9c9", "5tmbzlkM4S7/CTipCUh4mTt1d2b1qF4KO3I0bS1YJXZjNdlEExVVo44GYY4exaAq7ObDKXurm1YMySBsF0E8wL2NLAHYusjU0dANegQdlaeLmQjKpiK5ZUfDoTD+XaEOK9BhuPw5Agi/1ms3YCsRJs55GSSNQ0hjwrF3W/lnULfI2xhN2NIsAdkCeSGOCLBGUqK5I+mfpfsCmQJfIFjw47Z99uuUPTF08SYFSZLJ79U1X1ScoC4WklYJsJ/6m1TdPuILXBdzI4Br2kS670yUKJC+H1Rhu6BOoRTRfod4loe7opME91wvDPxCYqorYkLvmFwtdhRrVDBFifVeB3vDqwu07Tsqx0fwP/FaxZOkV6/AHXoKmwgYf5qsDUk/cKmT3nv5l16YLprsZ76963gB49RaRzsfiU+9k/AFRAoKjCrwg4eGRnBGZxXwuw=="),  # noqa: E501
    "basics_q2": ("52dde9052d0b3a6b", "15e89ad3ed2b147ecc6bf54c01dca57093ad58c08eb721959093d8a81a18a5fe", "9UWAKaDJOPztRMZVbnW+leuydmqAjHCBVQxCxJD/fEFoKrGD572D9wFNXjK4NGJljccPopXxP4zzbOSWIb/YTqH9fdy6/PKOjDqFQ3fgsrGoWonkrfYfftN8LEQeHSMJKgNeE/v4psiH0+r8VmS39Mnu/fedkmEWdoZ80zSFUVRH4nqDA9Ssu/5hQ1B0JfWZXAwz8P4N7LvQNuDMPAuZB4XXtRBu5hfLtPD27u75oLZUAFEj96FEuzhu31UQpOPxrnzjYfAC8RBOBwZpCO7vPxaXypoJe6lEewsWHErp23UQiWYeOjN9y7AygTL5LKED34UxrZTMsV+YBQSaarPzqiSUc6uqVQfdqib9wyj37dNV5rks37yKp6MuLybUrdOgOimBMIVyjDv+eiLxP90esQHTImQ0Im0NRXeTcM8xyYefQNCs9YNQV2vfO6oqLtlUJTegP76zOHgOSKac9TtKq30zv5lyDi+OZ+Dh46QSvi79TRoxxQXSlLZEIOyYXpZbW+/4sBsz7Mg="),  # noqa: E501
    "basics_q3": ("822230da808e0850", "0bcd6f72c67cb4d1982462357eeaf3238ef0cd83be91b113614a0a77a28d45a2", "BYMdMONPbT0XcPVJPFuWwTKjzeP2vRXukI2K4wyUnei61bF3yHAdjEZ9sgoO0naCd9wTlN8IFuQf2wKYYhLIkCQwlvkXl2zF8kAfHDt2iyEpd5U2hXNjsF8OhQEfDf7uREtr1udUkAFaJ3PI3lxzZkGke6K++N0to8vYHF786ZkSFP1Rbc+nzVraK5MQM8pAZrRYMKq7pPYAOgi5hXZCK24tUF8eai64QDucxHn3JAN1WKmCKd1Pb/pb45m3hs3GwI0SoJ+AgBHh1BxYo2Lr49iLmITiAB6uyuGcb9VAaUlolyOGvfN9jVmFNi0sA7kGn2poipkanAGiz54vf9fXTHjU+Cpm36f56HP23zq1iSS4Ou0HeTfPhZNEONcu3IJtDAXTvcXHfbWzO7hNuNc5IbIaPwTirlLJBXyG2O3QmA4Ic7SHevib6o+S9nLBE8rYs6CE1Stk900nb3lMIbYfZrBMgn0GALIFap9kAEme9HYOLsGALPo1qlp3wG2gJ+Lkfc2fZHKft2sx3FDuaYzUWNZlaBVr5vIk1TnUiXcb1OOryxloHPlFDweGVs8="),  # noqa: E501
    "practice_q1": ("012cc758138034a9", "e50e59e76db1a80f5e67f1fea0835586cd06c9de5cdd960d49e32598fe3f87d0", "fajbp3d/rwR1+2hiN6Kawc6eQKCXqOg0fwl4T/CJ1ZCes9Qp4OH/tC3UQR3n9BGHEk/CUsEdLwLFeRJRocaKyKkLcmt9ZVf53++WUBJTXaNjcYQbl1g9dBMQLNzyaj+qWIO8NJ2FVP/SlC8EEqwM+b0xi1t9KuKr01QFYx8gR5ohP+C2HJZeYpRMjemO+wL463+nqQCI7KjrlWMQ1tzr0tIq6udLRNDUPfRRfDTvoe0OfxCFEjGF6jYLUkB9FwW1bjXy48GsfqTK6ZQy3/n79vw/Hyb7I3i5Xg8SO0jMpqGsSfrCm3P/v5vvCjI2hDaVQfKgdUbdPdrTeqG3YnwvO0FvrPAToGiFVVecAD7OoX0Xpuq1qjh7H5kv7UPSgbw7AkT0Sx2SwOZf6853L+2UDRHBG8cU6Pha5FaGbkiTEDM4cXq4n5WzB3nPjoFR8qrrDenaf192O1bcnDb/SbCR7OiEHanBPyMbbtthS7Hi/Gt06lLGTinpznWDyk5CSct3sxaRxKuj/Ff4SoS8JhFL+wmRBcmnu9JKkWuGxH9+fdGhmTW6sqtXd6z9fNQSveBJ0Q=="),  # noqa: E501
    "practice_q2": ("da12b5d3ab594664", "4af5014187686951ffb10de95afdcab544c5d26d3e759c043a754434efe9d110", "RUjoUWyWJIFaVpVYUBiotzMfSaljw0ywXN61UdgJpC/a5zpal0m0hL2NusyDkJxrEeMGam2ysY/Vm4YMJ43Y8eSUewxGnlrga/Px8tOyTQkE3Rgtfo3cU2YIz1QPwmENJicvRGnjOiGCUbM4Gem1BMmCTe6qIsEhmeECGfjgvTu6yBPIQtlo63Fdh3ZVhedqilf3dI1yeFiVra/SKDh0OLWeS3tc5Xtx+ZHuopNQs+KMNprQky+MyvLf6KDYqkS6oRJxcRh/dg4mMpqX8BXDQhwwLUcfczaGFVd5TglkkwpkduFTePi02WyjcclEeGz372dom9C3MXuyHrtd4UxtTYSnvYBN20H3Lci5EM/JS7iIfzyq+nagy6RNiq2WIJy6/57WVhM9+r6rQILp5JqcqtpOAVo="),  # noqa: E501
    "practice_q3": ("c4c3f2b4ff3a8e13", "4c53d1ebdf7fc674b0315197699fa531c46b88034b6da2878cfe3ffa54f4380b", "iOSJwNCR8Y4qkBbgJS4KmY0TcflzowhqCIlOXCLAScUV4BG73C8wPaoElNcJf/Vyx95WMMv74FFRu8+18bsW+gIp7esPGFHXxvFj5CKQzq0XjPu0LzuNeFVTwsKnNDsylHgkxhnZRvvxdCopYcA6XNJgfwhYjrW/zdO8DmVUffwkHvuas9u/NCPGiHpxsVH+Pj5vYN7WL3D5iGz481+1B2c9R4J0vwKjALR/3PpqZOlZ+dO7RTFqfCE9fyjdbF9GSb3+Gmaoh/cl+I1e7KlfaTzl/CFf+XkygLxJiAVdGGkA3+6Y6gJY2YE4Dy6FC2x9xUlZ3+3SZsUb6twxB+waGQ4xiMWvlvIJkYk66hrByxitPoIWR5QY0Z0DkY+iI5TXGZxK7LgAknSP2kBu5xp5ZO8NyrMrDIkQRXRY/FIHWke8Cu3tNvGhYzKL04JE83loyC+by5UyTUp6OJZgLXdqrWJXNrZBZhtM8ojqdI1ZE3EhA/Wh/SSYmFE8OTgKYC4SWIAmS7WMq0gTucqZSxryNcYRYGAFGOH0hV9tzVuMoijJM3RHUSSwRw5/+k9rPAVQ5aMLk+pJcvbiDWMaSscgtW/KVxhaLQGRW7G/u36izQ4u3sJnRR4pVQpE+cr2K7+cP4P0Pa5USVw9YJb6t2VOZQh9ZE5SJ3lur4TJMRk8Wu6UJlSsey6HpkyqI1f+GSLzcr9dWpB3qpDdKx5CVBXQ8SAvMGVgnz3RPAH25KcNy0cWo2F6oimlZpujtHGxF8eLqEjPk+e03RkNh+9GR5JxIAUqcy82/CWFsRdfEPE3tvVB5k/Ro9yrVNkiCTyUPNhbYmw="),  # noqa: E501
    "practice_q4": ("3f2b725a92134af3", "d59a094409676a48a55115d6456e323613e43fb5820a09b83ab3d6f44333d046", "4z26yVRIgU4w5xvBqWABvL5kG39F8uZhBYREogtOxiX1i8u3HJQ4DBoz9Yi9X385wFI8qHXtSSwHQbozg9qFtO/oLh/RsSJogc7VLdxX1E93Tdjf4rlOrwt0pwPslz/J3vPQ+ZjiPUSi4K2XMEFc3ASGvhLVulg7Y8d9+GV0KuwYzCLaaReNqK/80XjvuarnSBpZJfO5SAX8vj71rgtYEFcT+f+hDd+EEJPzJa9WJMIxdXMsknqw4+/Hj+4albdWe0MP0+jRoNjXiyo8JAnrIesk+nu8wOsFDxSnq4iCpLabdz1GPjIRMvR8V07TqjmN156/xN1+B1f7gpj4ux1lqOdbCGKSoYNy1VPCSH0G7rLCPXYqNnG6JeeRaQXIXSGKJnBq5QbMMvsKPRLwlWrsXuiR709+s0sur2PQpra9fNY2YwVsODMrqugUdBTO4gBLwkSt/ArZhHViNaXaiiI/RJAOIM5s+pRgM50zqrIR7nYFZdqiVO6GhDrZnLreWisG4gXCw/Wj+8tNOW+6KKQsCT0Ma78CEa82Ux/vRYm9UsDCOE+MdSMvUtpGT4pD4IrbVwdNFPeKHle6iitrtdaglGCFOgebagSUSqmPA7Arh+QHQ8DvhjA3k4mx2BwskoSxX0aU3e/0Ye8KE/zX2dKMH0JNHqRFilFzai5pWP+OW+Z5dFuTLNFdZQVUfzYOcZPkOrP8trcb5li/kkvV/BI+3saM1LsAMb3Fwt+boFcN5DqDcZTXS0SQGj2qdjsqqXJWRiywG6q0+izE8cPWTbVgIgHKcVIjbAgW3VIs42uHLsfl2CXSkTnSarJo2tXwuUj+tBRGEM9WOJS0YXoX8he1fWccKmci3zpkLQQd/8KLa/TyebSfg0hS4czboaVCm3ivtT7MrUrDAJ1tJLw="),  # noqa: E501
    "practice_q5": ("5cf98f92a557cb04", "0e5995b48f9868663ab13ffce57d0d8b71f51a4c1162e1a46e493503216d9bb1", "Dimtlge/99NpjdKh+aoMLM3hDuCPtXLJdY8jiTnOARkEKqJj2999iUwXx0WoCwyyDMDh2JPj7fchNhwiHVg72C3PMPQL6mKLNbQBepZazDo94J74DghiiBw3KqT6dIzWPHjgZ5T4GdnO9hzZYAuDi2NDJ/cYDyh3oG8oZTSnwcvX9tB3EmQKoUJ5wq782tHycyuG3DNKa0Z3UMimyRY3ngJUusgB8qDhW1R/4+jGNitTxXw4NJbkDTR0VGxhQIo84s5NLP209849qvxVMN4tquAdACBT6dQOGAo1kXUW8+HxbgPUOr26dg/Th+Vj+j1PTh9RAXmWHNwuJixdpyHAEwQYsQTVXaU9J4rTmecJ9V/q7L7SA8+JJ+3VlCPVK4ODnL042jfNAmmCFFkoYJKabuRzkkTnZKZfrqjI6YVfQH24XiN87KCKzjiYJdbYskp4xSYVQn4qpeejRIeEPbjIG3BUlo7sN79/j2CQLEgeF9eU64tGeSU="),  # noqa: E501
    "choosing_q1": ("901f58edb5ed1a0b", "258ea2430e51f6ef0b8f7fd3bc24500f0285b0d0bbdc00bf47e0d19d6a5340b2", "TGUTrFPSa6FfhetVHzVWcBrkyXxERscOErVX8KUY5z0XZfOEAxHlYIeNs01CsTMcAdq+QZ0s9xv4Ji1/ZfhrCTn5N8IBIk3YG0VTUXd7ufep63OIDRwJcAWcsB0y6nKKZ8TZvs++CstAdo7ZqLDhYzTlQEJ87MZMlpwWMrKEfCA+hkWo+eHpLFFmgP57eIx0yaVo84RBlOk6cPwgB65aGmQdGx/kPcPvDYpK0a6Utui7/YtdCiVXtibF0ijXyLaJM/hrR5CFzBsZ3Z5lAEogfwYN9Fc38cqefMlW9KTUuEH9kBQx6n4cO5G6tK6Vwsy7JzQKVGpF5uUQCZ0IXu3+gaXCyCO8+uWMBhUdYsP3oOZVwKlNBNSw/bv2TSbATLY9x4IHXhiTEaSmZls6yvd6ykfH/F6FuxkKJ0xVOoqiKdiIAzijbGW1WDvks1gLKvq/r7W/q/0yLe7udwo+7icD+oJk+L2dGWKi68SzW73QW+6/+JaRaMyHYizbpPnx9MNf68IxUMUo/wT+ly+gwGCGzhd65h5cQ5F5tlQLSDZVeNybtG/89QJOyJrrRKUztvGjoRWgtZhaeYTxuCSpvdwokgMzwtQdLL6Xu5YS5759iso="),  # noqa: E501
    "choosing_q2": ("3e21c9be9bf4a1a1", "64f938e8cfa8cd707200d70e679af40fc79db938a91ecec8d7b683919493e812", "SYuj6KV25eg/sYieOYTOCshhCNg/MKCMqfiHV7dBtB4oOTzWIgqwQacotqwK6Fvj590zWZOQISoyhaaoC/pIKlQ/OsPhNToFOZND2rMZJnPwM6Vhyj3YBINr3TGXbpV2dkcf1r9bx2+x95sKIcn/TM7V0QYtwmSrWqn1BvPcQiKIMk1Lmyjb+FSHSXM032pTOtv4ktjAd0p4HuDS0wC/5CBCOqyUhOGyB5wVt1R64/NVNQNag6zIiyGcCv+mrZvv+NdLvE7X1quFy90HmdwjbMzlYF0mrc++cYI5dUnOeuSDcH/EgG3Qt0g3HHOE2mUSEuDG/0p9x8ebLeOFeP0BBUfOVWxOGwFN8IexctpDUeRC/T8jleEe/HtV2PAuGqtqfa0rBOETDZjy3Pq5x6RQNOzEtRLGbx2XAa+2lKF5X58ICA/TLzmXmwAaKQTVImMAmZ6/a/2F4kby17u1kAfHiKAbOc6mTjpfaH1wOb/ofPH6aHxcTYejXSu/1304hWKtn48lOFHAvDjJ7d3+fryYMHrkQAUfbNFpyXLu4vpL0rXw/LKB7ykJF5giZSgVe9HB/Y3WpSDMUf0mXlu1OUVEoQXWWBY6avpJPplp9BYhR//BOPw84KfXwn/RJRZDI8oX4XL7x1rGrjMLVnakVs/KOugeZPccX26VxdwaCBitjl/hr9BVEb/1ZVh/2yJafjbkWNyYQ7KNLgBkP2bax2PNRg=="),  # noqa: E501
    "choosing_q3": ("9e5813ee4ee08e80", "fc4bb136e064625c6a9c36e627b2ad4926a9cf56bb5247fb6c3700d9b8669233", "d/zEr+B3x+4ctDyxtTpdXmP0kTlWD+5DAp76ncntvvhT2ddgnVPm82Obzu+U0y4zYjJyO2Y+ga/qQyWX4zn/6T5TRoIjPhJCdrujPtbL1j5jVDlP/5P9/39i0RkkJtyzXZMRu29MxK9l6LT5P4sKO7J8OrKF+35Tn9cGb87I7HkLHe2fw1oUKZY4e3EAYQFZ3DYNRpYVncbwmH75nMsh9XjTLTp/IgctZadgqQ5rstEWHWhULgnVb6NObPfBX+NzVjszDipMPb4J6jBbsMbB4ucr12z9V0WZSFFA+Erk8D4hiUV8ugsk5kXk0BMbB9zwnInq3TyL9dtoiYo0pdQS+FaJAXy69pZz4vU0VURO1LUN9Sf+z91sW0zWsJoRMljOAkPfIo1xgJr5LVvxh8VxhNLa7BdQ2qaGOrgiNuwTHtquvbQMPsTh9dQzjEiBRubPyUubGJjwmxkw2xJGupuryH57vDCTAMn+dhUQrEVJOdBrBCanngXorWg94/jnWu1GTsDZfESnmstUN85yWUbL/HbGqBcK+COg5Nc/6v8hgV4qkEXo39ERJAxqu4ul9a2Vdu4peUop+qh5jkKEkC7QyDS/9UPzB6jrmpNoPO7QabdDBwXuk8VVSUxZuCFd7xT9I32iZUVINYTc2ss+IxROxlw8Ct881k1f9qUK+a9zCT7/r5oHXfss06doqgPP8ynAjhGxir9v1/HSKIN7cp3F4eAmV/Lujj64N4I8Q8lE5wDcg8Gwrs7Kc0zPrHy9PN1O2KmOUzEpwH/l09uix1XKvY5EUOechHqR53HCg+lcOJkqpfYlvjauybpmYK+lEUiRXu32qLqdBw7sOpVosrS/i0A+vjNjJvwJHqnAAGcyKYLC5ec0afMetSE="),  # noqa: E501
}

_SNIPPET_Q3 = """```python
from sklearn.mixture import GaussianMixture
import numpy as np
X = np.array([[1], [2], [3], [10], [11], [12]])
gmm = GaussianMixture(n_components=2, random_state=0)
gmm.fit(X)
labels = gmm.predict(X)
print(labels.tolist())
```"""

_SNIPPET_Q4 = """```python
from sklearn.mixture import GaussianMixture
X = [[1, 2], [3, 4], [5, 6]]
gmm = GaussianMixture(n_components=2)
gmm.fit(X)
labels = gmm.predict(X)
print(labels)
```"""

_QUESTIONS = [
    # ---------------------------------------------------------------- gmm_basics
    _q(
        "basics_q1", "easy",
        "What does a Gaussian Mixture Model assume about the data?",
        [
            "The data is made of several bell-shaped (Gaussian) groups mixed together.",
            "The data lies on a straight line.",
            "The data has no structure at all.",
            "The data is one single cluster.",
        ],
        "Read the name: a *mixture* of *Gaussians*, and a Gaussian is a bell curve.",
        [
            "Confusing a GMM with linear regression, which fits a line.",
            "Thinking 'mixture' means one cluster: a GMM with K components mixes K bell curves "
            "(only K = 1 is a single Gaussian).",
        ],
    ),
    _q(
        "basics_q2", "easy",
        "After fitting a GMM with K = 3 components, `model.predict_proba(x)` for one point `x` returns...",
        [
            "a single label: 0, 1 or 2.",
            "three distances, from `x` to each component's mean.",
            "three probabilities, one per component, that sum to 1.",
            "three probabilities that sum to 3.",
        ],
        "GMM assignments are *soft*: each point is shared between the components.",
        [
            "Confusing `predict_proba` with `predict`: `predict` returns one label, the component "
            "with the largest probability.",
            "Expecting every probability to be 0 or 1: a point between two groups gets a share of each.",
            "Thinking the probabilities are distances: they come from the bell curves' heights, "
            "weighted and normalised.",
        ],
    ),
    _q(
        "basics_q3", "medium",
        "What happens to the total log-likelihood as EM runs, iteration after iteration?",
        [
            "It goes down, like the loss of a neural network.",
            "It jumps up and down at random until EM stops.",
            "It rises to exactly 0 when the model fits perfectly.",
            "It never goes down (up to rounding), and EM stops when it barely changes any more.",
        ],
        "EM is built so that each E-step + M-step pair cannot make the fit worse.",
        [
            "Reading the log-likelihood as a loss: EM *maximises* it.",
            "Expecting it to reach 0: it is a sum of log-densities of continuous data, "
            "which can be any real number.",
            "Thinking the highest log-likelihood always means the best model: more components can "
            "fit the same data more closely, so compare K with BIC instead.",
        ],
    ),
    # ---------------------------------------------------------------- practice
    _q(
        "practice_q1", "easy",
        "What is the main idea behind a Gaussian Mixture Model (GMM)?",
        [
            "It assumes the data is made of several bell-shaped groups mixed together.",
            "It uses decision trees to split the data into groups.",
            "It finds the single best line through the data points.",
            "It clusters data by measuring distances only.",
        ],
        "GMM = a mix of bell curves, one per group.",
        [
            "Confusing GMM with decision trees.",
            "Thinking a GMM finds one line.",
            "Assuming a GMM uses only distances: it uses probabilities, so each group has its own "
            "spread and shape.",
        ],
    ),
    _q(
        "practice_q2", "easy",
        "Which Python library provides a ready-made Gaussian Mixture Model class?",
        ["matplotlib", "pandas", "scikit-learn", "tensorflow"],
        "Look for the machine-learning library with `fit` / `predict` estimators.",
        [
            "Choosing matplotlib: it draws plots; it does not fit models.",
            "Choosing pandas: it holds and reshapes tables of data.",
            "Choosing tensorflow: it is a deep-learning framework; you could build a mixture model "
            "with it, but it is not where the ready-made `GaussianMixture` class lives.",
        ],
    ),
    _q(
        "practice_q3", "medium",
        "In the code below, which statement about the printed labels is guaranteed?\n\n" + _SNIPPET_Q3,
        [
            "They are always `[0, 0, 0, 1, 1, 1]`, because the smaller values come first.",
            "The first three points share one label and the last three the other; which group is "
            "called 0 can change with `random_state` (or the library version).",
            "The labels alternate, `[0, 1, 0, 1, 0, 1]`.",
            "All six points get the same label, because the two groups overlap.",
        ],
        "Cluster numbers are names, not ranks. What stays the same if you swap the names 0 and 1?",
        [
            "Expecting label 0 for the group that comes first: the numbering depends on the random "
            "start (this is *label switching*).",
            "Comparing label lists directly: compare the split (which points are together) instead.",
            "Assuming alternating labels: the points 1, 2, 3 are far from 10, 11, 12.",
        ],
    ),
    _q(
        "practice_q4", "medium",
        "What does this snippet do?\n\n" + _SNIPPET_Q4,
        [
            "It raises an error: `X` must be a NumPy array, not a list of lists.",
            "It raises an error: `n_components` must be 3 or more for this data.",
            "It runs and prints three labels, each 0 or 1; without `random_state`, the labels can "
            "differ from one run to the next.",
            "It raises an error: `GaussianMixture` requires a `random_state` argument.",
        ],
        "scikit-learn converts array-likes (lists of lists too) with `np.asarray`. Try running it.",
        [
            "Believing lists are refused: `fit` and `predict` accept a list of lists.",
            "Thinking `random_state` is required: it is optional, and only makes runs repeatable.",
            "Thinking 2 components need more than 3 points: any 1 <= K <= number of samples is allowed.",
            "Calling `predict` before `fit` would raise `NotFittedError`; here the order is right.",
        ],
    ),
    _q(
        "practice_q5", "hard",
        "Your dataset has overlapping groups of different sizes and shapes. Which property of "
        "Gaussian Mixture Models makes them suitable?",
        [
            "They model overlapping groups with different shapes, using probabilities.",
            "They always create groups of equal size.",
            "They only work for groups that are perfectly separated.",
            "They require groups to be circular and of the same size.",
        ],
        "Each component has its own weight, mean and covariance, and points are shared softly.",
        [
            "Thinking a GMM needs equal group sizes: each component has its own weight.",
            "Assuming groups must be separate: where groups overlap, points get a share of each.",
            "Believing a GMM only fits circles: `covariance_type='full'` gives each component its "
            "own ellipse (only `'spherical'` is circular).",
        ],
    ),
    # ---------------------------------------------------------------- choosing_k
    _q(
        "choosing_q1", "easy",
        "`FittedGMM.bic(X)` here and scikit-learn's `GaussianMixture.bic(X)` both compute "
        "BIC = -2 log L + p log N. Comparing models fitted on the same data, which do you prefer?",
        [
            "The model with the highest BIC.",
            "The model with the lowest BIC.",
            "The model whose BIC is closest to 0.",
            "None: BIC cannot compare models with different K.",
        ],
        "BIC is a penalised *negative* log-likelihood: a better fit makes -2 log L smaller.",
        [
            "Treating BIC like a log-likelihood (higher is better): the sign is flipped.",
            "Looking for BIC near 0: only differences between models on the same data matter.",
            "Thinking BIC cannot compare different K: comparing K is what it is for; "
            "the p log N term charges for the extra parameters.",
        ],
    ),
    _q(
        "choosing_q2", "medium",
        "You run EM with K = 3 from ten different seeds and get ten different final log-likelihoods. "
        "What is the usual remedy?",
        [
            "Keep the run with the lowest log-likelihood.",
            "Average the parameters of the ten runs.",
            "Keep the run with the highest log-likelihood (scikit-learn's `n_init` does this).",
            "Nothing can be done: EM is broken on this data.",
        ],
        "Each run climbs to the top of its own hill: a local optimum.",
        [
            "Keeping the lowest: a higher log-likelihood is a better fit of the same model.",
            "Averaging parameters: component 0 of one run may be component 2 of another "
            "(label switching), so averages mix different groups.",
            "Blaming EM: it only promises not to go down, not to find the best optimum.",
        ],
    ),
    _q(
        "choosing_q3", "medium",
        "What does `reg_covar` (default 1e-6) do in the M-step?",
        [
            "It removes outliers before fitting.",
            "It sets the number of components.",
            "It makes EM find the global optimum.",
            "It adds a small number to the diagonal of every covariance, so a component that "
            "collapses onto a few identical points still has a usable covariance.",
        ],
        "Think of a component sitting on three identical points: what is their variance?",
        [
            "Thinking it removes points: every point is still used.",
            "Thinking it fixes local optima: it only puts a floor under the variances.",
            "Setting it to 0 for 'exactness': then a collapsed component has a singular covariance "
            "and the fit fails.",
        ],
    ),
]

_BY_ID = {q.question_id: q for q in _QUESTIONS}


def question_ids() -> list[str]:
    """Every question id, in course order."""
    return list(_BY_ID)


def _question(question_id) -> Question:
    if not isinstance(question_id, str):
        raise TypeError(
            f"question_id must be a string such as 'practice_q1', got {type(question_id).__name__}"
        )
    if question_id not in _BY_ID:
        raise ValueError(f"question_id must be one of {question_ids()}, got {question_id!r}")
    return _BY_ID[question_id]


def ask(question_id: str) -> Question:
    """The question ``question_id``; a notebook shows it as Markdown.

    Raises
    ------
    ValueError
        If ``question_id`` is not a known question.
    """
    return _question(question_id)


def check(question_id: str, answer: str) -> Feedback:
    """Check ``answer`` (a letter A-D, any case) to question ``question_id``.

    A right answer reveals the worked solution; a wrong one gives the hint and the
    common mistakes.

    Raises
    ------
    ValueError
        If ``question_id`` is unknown or ``answer`` is not one of A, B, C, D.
    TypeError
        If ``answer`` is not a string.
    """
    question = _question(question_id)
    if not isinstance(answer, str):
        raise TypeError(f"answer must be a string, one of {LETTERS}, got {type(answer).__name__}")
    letter = answer.strip().upper()
    if letter not in LETTERS:
        raise ValueError(f"answer must be one of {LETTERS}, got {answer!r}")
    correct = digest(question_id, letter, question.salt) == question.answer_digest
    solution = unseal(question_id, letter, question.sealed_solution) if correct else None
    return Feedback(question_id, letter, correct, question.hint, question.mistakes, solution)

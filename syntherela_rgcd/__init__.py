"""syntherela-rgcd: RGCD relational data synthesis and a plugin platform for the SyntheRela benchmark."""

__version__ = "0.1.0"

__all__ = ["__version__", "RGCD"]


def __getattr__(name: str):
    # RGCD pulls in torch; import it only when asked for, so the CLI starts fast.
    if name == "RGCD":
        from .rgcd.model import RGCD

        return RGCD
    raise AttributeError(name)

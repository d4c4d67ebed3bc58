"""polc: a declarative policy language with Chinese keywords, and its compiler.

Pipeline (one module per stage): source -> parser (Lark -> ast) -> checks -> to_python /
to_markdown; the driver chains them and the CLI is a thin layer over the driver.
"""

__version__ = "0.1.0"

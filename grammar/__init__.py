"""The Lark grammar of the polc language (polc.lark) lives in this package."""

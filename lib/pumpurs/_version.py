"""The project's version: a leaf module, so every wing can name it without importing the
package's front door (`pumpurs/__init__.py` names the analysts' API)."""

__version__ = "0.1.0"

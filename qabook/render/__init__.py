"""Render: one module per artifact, each turning a ResolvedBook into one file."""

from __future__ import annotations

from typing import Callable

# format name -> renderer; a renderer takes a RenderContext and returns the bytes it wrote.
RENDERERS: dict[str, Callable] = {}
FORMATS = ("apkg", "epub", "pdf")

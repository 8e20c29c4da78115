"""Hopfield networks: storage rules, dynamics and attractors (core), digits under noise and capacity
(digits), and the page's rooms: its starting settings (defaults), what it computes (experiments) and its
charts (charts). See :mod:`annlab.hopfield.core` for the references."""

from annlab.hopfield.core import *  # noqa: F401,F403
from annlab.hopfield.core import __doc__ as _core_doc  # noqa: F401

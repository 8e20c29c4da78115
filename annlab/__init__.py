"""annlab: an interactive lab for teaching neural networks.

The core library (everything here except ``annlab.ui``) never imports streamlit.
"""

__version__ = "0.1.0"

"""annlab: an interactive lab for teaching neural networks.

The library (everything here except ``annlab.ui``) never imports streamlit. Layout: flat modules are
shared infrastructure (data, preprocessing, the model store, devices, training conventions, chart
style, the topic list); each package is one topic (one page) with the same rooms: its model and maths
files, ``defaults.py``, ``experiments.py`` and ``charts.py``. ``annlab.ui`` is the Streamlit toolkit.

Glossary (one name for one thing, in configs, histories and docs)
-----------------------------------------------------------------
Config fields
    ``n_hidden`` (hidden units), ``latent_dim`` (size of a code), ``num_epochs`` (passes over the
    training data), ``lr`` (learning rate), ``batch_size``, ``seed`` (never a field: training seeds are
    the ``seed=`` argument, part of the store key).
History keys (one dict per epoch in ``TrainResult.history``)
    ``epoch`` (1-based), ``loss`` (training loss), ``val_loss`` (loss on held-out validation data,
    never the test set), ``seconds`` (wall time since training began), then the model's own metrics
    (``pseudo_ll``, ``recon_error``, ``g_loss``, ``d_loss``, ``test_loss`` where a page reports the
    test split honestly as such, ...).
Store families
    The config class name is the model family in the store key: one name per family
    (``RBMConfig``, ``DBMConfig``, ``AEConfig``, ``GANConfig``, ``CNNConfig``, ``ArtAEConfig``,
    ``TSConfig``, ...).
Spec
    ``TrainSpec``: a config plus how to train it and on what data; built by a topic's ``defaults.py``,
    trained by ``annlab.ui.train`` on a page and by ``python -m annlab warm`` before class.
"""

__version__ = "0.2.0"

"""WikiArt styles: loading pictures (or the built-in painted set), a style CNN with remedies against
class imbalance, and a convolutional autoencoder whose codes are clustered.

Modules: :mod:`~annlab.wikiart.data` (folders, disk cache, uploads), :mod:`~annlab.wikiart.synthetic`
(painted styles), :mod:`~annlab.wikiart.models` (configs and networks), :mod:`~annlab.wikiart.losses`
(focal loss, class weights, balanced sampler), :mod:`~annlab.wikiart.train` (training, metrics),
:mod:`~annlab.wikiart.charts` (topic charts).
"""

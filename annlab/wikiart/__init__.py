"""WikiArt styles: loading pictures (or the built-in painted set), a style CNN with remedies against
class imbalance, and a convolutional autoencoder whose codes are clustered.

Rooms: :mod:`~annlab.wikiart.models` (configs ``CNNConfig`` / ``ArtAEConfig`` and networks),
:mod:`~annlab.wikiart.train` (training and test metrics), :mod:`~annlab.wikiart.losses` (focal loss,
class weights, balanced sampler), :mod:`~annlab.wikiart.data` (folders, disk cache, uploads),
:mod:`~annlab.wikiart.synthetic` (painted styles), :mod:`~annlab.wikiart.defaults` (what the page starts
from, its controls, the warm-up), :mod:`~annlab.wikiart.experiments` (prior correction, remedy table,
picture choice, code map) and :mod:`~annlab.wikiart.charts`.
"""

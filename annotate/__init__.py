"""semclust annotate: sampling of pairs and sets, the annotation app, Label Studio bridge."""

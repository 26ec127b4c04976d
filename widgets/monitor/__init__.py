"""Parts of the monitor panel: sparklines and the ok / warning / critical palette."""

"""Physics: what sound does between the drivers of a device and the ears of a listener."""

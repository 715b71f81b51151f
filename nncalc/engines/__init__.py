"""Engines run a network over a stream of row blocks: ``local`` in this process (the
default), ``dask`` on a cluster.  Both give the same bytes for the same input."""

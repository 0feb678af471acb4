"""Tools beside the product, never shipped with it: the local replica of a Pangea blog,
the benchmarks, the demo and the golden-file tool. They import ``crawler``; nothing in
``crawler`` imports them."""

"""The checker's implementation, one package per stage of a run:
declare → evaluate → judge → search → store → report, driven by run.
Everything here is private; the public API is what ``checks`` exports."""

"""Redis repositories: the desk's durable state and its event log. The one
place a Redis hash is read: what leaves the store is typed (``records``
reads a callback into the domain's ``Callback``). ``stores.Stores`` gives
the repositories of one connection; ``memory`` is the callback store in
memory, held to the Lua scripts by the contract tests."""

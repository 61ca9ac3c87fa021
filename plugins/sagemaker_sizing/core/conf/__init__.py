"""The sizing conf: ``model`` (``SizingConf``, its one description; ``load_conf``; the XCom crossing),
``field_types`` (each kind of value), ``checks`` (across fields), ``problems`` (in the project's
words), ``schema`` (the DAG's Params), ``validation`` (the fields, then what the walk needs)."""

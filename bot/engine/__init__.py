"""Engine jobs: work the bot does on a schedule rather than in answer to a person.

One module per job, each with ``tick(services)`` that does one round and is safe to
run late, twice, or after a restart (the state lives in the database, not here).
"""

"""What a sizing takes on AWS: hours from the first deploy to the last delete, and its own bill.

``deploy_times`` (the deploy-time model, from resources/deploy_times.json), ``lanes`` (what a deploy
does to a lane's endpoint: created, reused, resized in place, updated), ``bill`` (the billing
rules), ``simulated`` (a walk's batches as a timeline), ``measured`` (a run's own instants),
``words`` (the figures as a reader wants them).
"""

"""Every write and business rule of the reputation app, by topic:

- snapshots.py     — the daily snapshot job (one snapshot per subject, provider and day)
- feeds.py         — feed connections and the Postmaster Tools / SNDS fetch job
- notifications.py — the scan that records events, mail and the daily digest, dispatch
- webhooks.py      — endpoints, signing, deliveries with retries, the test event
- retention.py     — what is kept how long (snapshots, raw delivery events, logs)
- sql.py           — bulk writes as one statement with one JSON parameter
"""

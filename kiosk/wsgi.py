"""What a production server loads: `gunicorn -c deploy/gunicorn.conf.py kiosk.wsgi:app`.

Each worker builds the app, then freezes everything made so far out of the
garbage collector's reach. The app's ~110,000 long-lived objects (models,
compiled statements, catalogs) never become garbage, yet a full collection
walked them all: a pause of 60-160 ms in a loaded worker, felt by whoever's
request was running. Tests build many apps and are left to the normal GC.
"""
import gc

from kiosk.app import create_app

app = create_app()
gc.freeze()

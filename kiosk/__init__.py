"""The complaint kiosk.

    kiosk.core         the domain: cases, people, facilities, deadlines, audit, jobs (no Flask, HTTP, Twilio or models)
    kiosk.web          what every web surface shares: sessions, security headers, languages, templates
    kiosk.detainee     the housing-unit kiosk (a surface)
    kiosk.staff        the staff console (a surface)
    sms                texts from family and lawyers (a surface), and the texts we send
    kiosk.translation  the offline translation engine and its jobs
    kiosk.worker       the worker that carries out jobs
    kiosk.app          create_app, which wires the surfaces to the core
"""

"""The web app of the schéma de services: concertation, action programme, follow-up.

A Django project (``maillage.web.settings``) reading a study folder written by
``maillage diagnostic``: public diagnostic dashboard, directory of services, anonymous
satisfaction survey, contribution form; staff side (moderation, survey results, action
programme linked to the diagnostic's indicators, exports, personal data). Start it with
``maillage web``; see ``docs/web.md``.
"""

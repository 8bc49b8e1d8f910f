"""Paging beyond Telegram (issue 17): voice calls and SMS through Twilio, a signed post
to the agency's own gateway, and the call's keypress coming back.

- :mod:`bot.paging.text` and :mod:`bot.paging.twiml`: what a page says (pure).
- :mod:`bot.paging.twilio` and :mod:`bot.paging.gateway`: the providers, over httpx.
- :mod:`bot.paging.sender`: the page sender, taking page rows from the outbox.
- :mod:`bot.paging.inbound`: the small web application Twilio calls back.
"""

"""The portal's entry point: `streamlit run streamlit_app.py`.

Run by `streamlit run`, this module is imported as the ASGI app (Streamlit plus the session
cookie routes of portal.ui.server); Streamlit then executes this same file as the script of
every browser session, where ``__name__`` is ``"__main__"``.
"""

import streamlit as st

if __name__ == "__main__":
    from portal.ui.app import main

    main()
else:
    from portal.ui.http_security import middleware
    from portal.ui.server import lifespan, on_script_error, routes

    app = st.App(
        "streamlit_app.py",
        routes=routes(),
        middleware=middleware(),
        lifespan=lifespan,
        on_script_error=on_script_error,
    )

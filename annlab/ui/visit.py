"""Open a page of a running Streamlit server once over its websocket, as a browser would.

``serve`` (and the deploy recipes' readiness step) calls this after a replica starts, so that a
student's first deep link into a fresh process finds its page (streamlit/streamlit#8860). It speaks
Streamlit's own protocol messages, which is why it lives in the Streamlit layer.
"""

from __future__ import annotations

import asyncio
import sys


def open_page(url: str, timeout: float = 120.0, page_name: str = "") -> bool:
    """Run the app at ``url`` once (``page_name`` "" is the home page). True when the script run
    finished within ``timeout``; False (with a line on stderr) when the server is unreachable, too slow
    or answers oddly: the server still serves."""

    async def visit() -> bool:
        import websockets
        from streamlit.proto.BackMsg_pb2 import BackMsg
        from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

        ws_url = url.replace("http://", "ws://") + "/_stcore/stream"
        async with websockets.connect(ws_url, subprotocols=["streamlit"], max_size=2**27) as ws:
            back = BackMsg()
            back.rerun_script.query_string = ""
            back.rerun_script.page_name = page_name
            await ws.send(back.SerializeToString())
            async for raw in ws:
                msg = ForwardMsg()
                msg.ParseFromString(raw)
                if msg.WhichOneof("type") == "script_finished":
                    return True
        return False

    async def bounded() -> bool:
        return await asyncio.wait_for(visit(), timeout)

    try:
        return asyncio.run(bounded())
    except Exception as exc:  # unreachable, too slow, a protocol hiccup: the server still serves
        print(f"serve: could not open the home page of {url} ({type(exc).__name__}: {exc})", file=sys.stderr)
        return False

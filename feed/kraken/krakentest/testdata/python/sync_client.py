# A blocking client in the style of Kraken's support article "WebSocket API v1/v2 -
# Recommended Python library and usage examples" (synchronous example): the websocket-client
# library, one subscribe, then print every message forever. Written for papertrade's tests
# from the article's description; the only thing a test changes is the URL (argv[1], which
# defaults to Kraken's own endpoint).
import sys

from websocket import create_connection

url = sys.argv[1] if len(sys.argv) > 1 else "wss://ws.kraken.com/"

ws = create_connection(url)
ws.send('{"event":"subscribe", "subscription":{"name":"trade"}, "pair":["XBT/USD","XBT/EUR"]}')

while True:
    print(ws.recv(), flush=True)

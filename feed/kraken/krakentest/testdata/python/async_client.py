# An event-driven client in the style of Kraken's support article "WebSocket API v1/v2 -
# Recommended Python library and usage examples" (asynchronous example): websocket-client's
# WebSocketApp with open/message/error/close callbacks, subscribing to a book and a ticker
# on open and printing what arrives. Written for papertrade's tests from the article's
# description; the only thing a test changes is the URL (argv[1]).
import sys

import websocket

url = sys.argv[1] if len(sys.argv) > 1 else "wss://ws.kraken.com/"


def on_open(ws):
    ws.send('{"event":"subscribe", "subscription":{"name":"book", "depth":10}, "pair":["XBT/USD"]}')
    ws.send('{"event":"subscribe", "subscription":{"name":"ticker"}, "pair":["XBT/USD"]}')


def on_message(ws, message):
    print(message, flush=True)


def on_error(ws, error):
    print("error:", error, flush=True)


def on_close(ws, *args):
    print("closed", flush=True)


ws = websocket.WebSocketApp(url, on_open=on_open, on_message=on_message, on_error=on_error, on_close=on_close)
ws.run_forever()

/**
 * A server-sent events reader for the tests (WHATWG HTML, "Server-sent events": the event stream
 * format): frames separated by a blank line, with id, event and data fields and comment lines.
 */
export interface Frame {
  id?: string;
  event?: string;
  data?: string;
  comments: string[];
}

export interface EventStream {
  response: Response;
  /** The next frame; rejects when the stream ends first. */
  next(): Promise<Frame>;
  /** Frames until one satisfies the predicate (bounded by the test's timeout). */
  until(predicate: (frame: Frame) => boolean): Promise<Frame>;
  close(): void;
}

export async function openStream(url: string, headers: Record<string, string>): Promise<EventStream> {
  const controller = new AbortController();
  const response = await fetch(url, { headers: { accept: 'text/event-stream', ...headers }, signal: controller.signal });
  // Only a 200 is a stream; an error's JSON body stays readable through `response`.
  let reader: ReadableStreamDefaultReader<Uint8Array> | undefined;
  const decoder = new TextDecoder();
  let buffered = '';
  const next = async (): Promise<Frame> => {
    for (;;) {
      const end = buffered.indexOf('\n\n');
      if (end >= 0) {
        const text = buffered.slice(0, end);
        buffered = buffered.slice(end + 2);
        const frame: Frame = { comments: [] };
        for (const line of text.split('\n')) {
          if (line.startsWith(':')) frame.comments.push(line.slice(1).trim());
          else {
            const colon = line.indexOf(':');
            const field = colon < 0 ? line : line.slice(0, colon);
            const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
            if (field === 'id' || field === 'event') frame[field] = value;
            if (field === 'data') frame.data = frame.data === undefined ? value : `${frame.data}\n${value}`;
          }
        }
        return frame;
      }
      reader ??= response.body!.getReader();
      const chunk = await reader.read();
      if (chunk.done) throw new Error('the stream ended');
      buffered += decoder.decode(chunk.value, { stream: true });
    }
  };
  return {
    response,
    next,
    until: async (predicate) => {
      for (;;) {
        const frame = await next();
        if (predicate(frame)) return frame;
      }
    },
    close: () => controller.abort(),
  };
}

using System.Text;

namespace AuthCluster.Silo.Import;

/// <summary>
/// Reads lines of at most a given length from a stream, counting the bytes consumed. A longer line is skipped up to
/// its end instead of being held in memory, so no input can make the reader grow: <see cref="TextReader.ReadLine"/>
/// would buffer a gigabyte without a newline whole.
/// </summary>
internal sealed class BoundedLineReader : IDisposable
{
    private readonly CountingStream _input;
    private readonly StreamReader _reader;
    private readonly int _maxLength;
    private readonly char[] _buffer = new char[64 * 1024];
    private readonly StringBuilder _line = new();
    private int _start;
    private int _end;

    public BoundedLineReader(Stream input, int maxLength)
    {
        _input = new CountingStream(input);
        _reader = new StreamReader(_input, Encoding.UTF8, detectEncodingFromByteOrderMarks: true, bufferSize: 64 * 1024);
        _maxLength = maxLength;
    }

    /// <summary>Bytes read from the stream so far (a little ahead of the lines returned, by the read-ahead buffer).</summary>
    public long BytesRead => _input.BytesRead;

    /// <summary>The line just returned exceeded the maximum length; it was returned empty.</summary>
    public bool TooLong { get; private set; }

    /// <summary>The next line without its line break; null at the end of the input.</summary>
    public async ValueTask<string?> ReadLineAsync(CancellationToken ct)
    {
        _line.Clear();
        TooLong = false;
        var any = false;
        while (true)
        {
            if (_start == _end)
            {
                _start = 0;
                _end = await _reader.ReadAsync(_buffer, ct);
                if (_end == 0)
                {
                    return any ? Finish() : null;
                }
            }

            any = true;
            var pending = _buffer.AsSpan(_start, _end - _start);
            var newline = pending.IndexOf('\n');
            Append(newline < 0 ? pending : pending[..newline]);
            _start += newline < 0 ? pending.Length : newline + 1;
            if (newline >= 0)
            {
                return Finish();
            }
        }
    }

    public void Dispose() => _reader.Dispose();

    private void Append(ReadOnlySpan<char> chars)
    {
        if (TooLong)
        {
            return;
        }

        // One more than the limit allows for the carriage return of a CRLF line break.
        if (_line.Length + chars.Length > _maxLength + 1)
        {
            TooLong = true;
            _line.Clear();
            return;
        }

        _line.Append(chars);
    }

    private string Finish()
    {
        if (_line.Length > 0 && _line[^1] == '\r')
        {
            _line.Length--;
        }

        if (_line.Length > _maxLength)
        {
            TooLong = true;
        }

        return TooLong ? "" : _line.ToString();
    }

    private sealed class CountingStream(Stream inner) : Stream
    {
        public long BytesRead { get; private set; }

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();

        public override long Position
        {
            get => BytesRead;
            set => throw new NotSupportedException();
        }

        public override int Read(byte[] buffer, int offset, int count) => Counted(inner.Read(buffer, offset, count));

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            Counted(await inner.ReadAsync(buffer, cancellationToken));

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                inner.Dispose();
            }

            base.Dispose(disposing);
        }

        private int Counted(int read)
        {
            BytesRead += read;
            return read;
        }
    }
}

using System.Buffers;
using System.Globalization;
using System.Text;

namespace Kubesharp.Kubelet.Logs;

/// <summary>What a reader of a container's log asks for: upstream's <c>PodLogOptions</c> as the kubelet applies them.</summary>
/// <param name="Follow">Keep reading until the container stops (and its file stops growing) or the caller goes away.</param>
/// <param name="TailLines">Only the last N lines present when the read starts (null: all).</param>
/// <param name="Since">Only lines written at or after this time (null: all).</param>
/// <param name="Timestamps">Prefix every line with its RFC 3339 timestamp (nanoseconds) and a space.</param>
/// <param name="LimitBytes">Stop after this many bytes of output (null: no limit); the last line may be cut.</param>
public sealed record CriLogOptions(bool Follow = false, long? TailLines = null, DateTimeOffset? Since = null, bool Timestamps = false, long? LimitBytes = null);

/// <summary>One line of a CRI log file: <c>2026-11-27T19:19:57.831371713Z stdout F message</c>.</summary>
/// <param name="TimestampText">The timestamp as written (containerd writes Go's RFC3339Nano, as upstream re-emits it).</param>
/// <param name="Partial">True for a <c>P</c> line: the runtime split a long line, and the next line continues it.</param>
public readonly record struct CriLogLine(DateTimeOffset Timestamp, string TimestampText, string Stream, bool Partial, ReadOnlyMemory<byte> Content);

/// <summary>
/// Reads a container's CRI-format log file as the kubelet serves it (upstream's <c>pkg/kubelet/kuberuntime/logs</c>):
/// partial (<c>P</c>) lines are joined with what follows into one output line; <c>tailLines</c> and <c>sinceTime</c>
/// apply to those joined lines (upstream counts raw file lines for the tail: a split line there counts twice, a
/// deliberate difference); <c>timestamps</c> puts the first chunk's timestamp before each line; <c>limitBytes</c>
/// stops the output after that many bytes. Following polls the file (every <see cref="PollInterval"/>) until the
/// container is no longer running and one more read finds nothing new, or the caller cancels. Lines that are not
/// CRI format are skipped, as upstream does. Stateless and thread-safe: each call reads on its own.
/// </summary>
public static class CriLogReader
{
    public static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(200);

    private static readonly byte[] Newline = "\n"u8.ToArray();

    /// <summary>Parses one raw line (without its newline); false when it is not CRI format.</summary>
    public static bool TryParse(ReadOnlyMemory<byte> raw, out CriLogLine line)
    {
        line = default;
        var span = raw.Span;
        var first = span.IndexOf((byte)' ');
        if (first <= 0)
        {
            return false;
        }

        var timestampText = Encoding.ASCII.GetString(span[..first]);
        if (!DateTimeOffset.TryParse(timestampText, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var timestamp))
        {
            return false;
        }

        var rest = span[(first + 1)..];
        var second = rest.IndexOf((byte)' ');
        if (second <= 0)
        {
            return false;
        }

        var stream = Encoding.ASCII.GetString(rest[..second]);
        if (stream is not ("stdout" or "stderr"))
        {
            return false;
        }

        var afterStream = rest[(second + 1)..];
        // The tag is "F" or "P", possibly with more tags after ':' (the CRI's tag format); content follows one space.
        var third = afterStream.IndexOf((byte)' ');
        var tags = third < 0 ? afterStream : afterStream[..third];
        var tagEnd = tags.IndexOf((byte)':');
        var tag = tagEnd < 0 ? tags : tags[..tagEnd];
        if (tag.Length != 1 || tag[0] is not ((byte)'F' or (byte)'P'))
        {
            return false;
        }

        var contentStart = first + 1 + second + 1 + (third < 0 ? afterStream.Length : third + 1);
        line = new CriLogLine(timestamp, timestampText, stream, tag[0] == (byte)'P', raw[contentStart..]);
        return true;
    }

    /// <summary>
    /// Copies the log at <paramref name="path"/> to <paramref name="output"/> as <paramref name="options"/> ask;
    /// returns the bytes written. <paramref name="isRunning"/> is asked, while following, whether the container still
    /// runs. A missing file reads as empty. Cancellation ends a follow quietly (the caller went away).
    /// </summary>
    public static async Task<long> CopyAsync(string path, CriLogOptions options, Stream output, Func<bool> isRunning, TimeProvider time, CancellationToken cancellationToken)
    {
        var writer = new Writer(output, options);
        try
        {
            await CopyAsync(path, options, writer, output, isRunning, time, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }

        return writer.Written;
    }

    private static async Task<long> CopyAsync(string path, CriLogOptions options, Writer writer, Stream output, Func<bool> isRunning, TimeProvider time, CancellationToken cancellationToken)
    {
        if (!File.Exists(path))
        {
            return 0;
        }

        await using var file = new FileStream(path, new FileStreamOptions
        {
            Mode = FileMode.Open,
            Access = FileAccess.Read,
            Share = FileShare.ReadWrite | FileShare.Delete,
            Options = FileOptions.Asynchronous,
        });
        var assembler = new Assembler(options);
        using var pending = new MemoryStream();
        var buffer = new byte[64 * 1024];
        Queue<byte[]>? tail = options.TailLines is { } n ? new Queue<byte[]>((int)Math.Min(n, 4096)) : null;

        // The initial pass: everything present now. With a tail, only the last lines of it are kept.
        while (true)
        {
            var read = await file.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
            if (read == 0)
            {
                break;
            }

            foreach (var joined in Split(pending, buffer.AsMemory(0, read), assembler))
            {
                if (tail is not null)
                {
                    if (options.TailLines <= 0)
                    {
                        continue;
                    }

                    if (tail.Count == options.TailLines)
                    {
                        tail.Dequeue();
                    }

                    tail.Enqueue(joined);
                }
                else if (!await writer.WriteAsync(joined, cancellationToken).ConfigureAwait(false))
                {
                    return writer.Written;
                }
            }
        }

        if (tail is not null)
        {
            while (tail.TryDequeue(out var joined))
            {
                if (!await writer.WriteAsync(joined, cancellationToken).ConfigureAwait(false))
                {
                    return writer.Written;
                }
            }
        }

        if (!options.Follow)
        {
            // Upstream writes a trailing partial line as it is.
            if (assembler.Flush() is { } rest)
            {
                await writer.WriteAsync(rest, cancellationToken).ConfigureAwait(false);
            }

            return writer.Written;
        }

        {
            await output.FlushAsync(cancellationToken).ConfigureAwait(false);
            var lastChance = false;
            while (true)
            {
                var read = await file.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
                if (read > 0)
                {
                    lastChance = false;
                    foreach (var joined in Split(pending, buffer.AsMemory(0, read), assembler))
                    {
                        if (!await writer.WriteAsync(joined, cancellationToken).ConfigureAwait(false))
                        {
                            return writer.Written;
                        }
                    }

                    await output.FlushAsync(cancellationToken).ConfigureAwait(false);
                    continue;
                }

                if (lastChance)
                {
                    // Stopped, and the file did not grow since: what is left is what there is.
                    if (assembler.Flush() is { } rest)
                    {
                        await writer.WriteAsync(rest, cancellationToken).ConfigureAwait(false);
                    }

                    return writer.Written;
                }

                if (!isRunning())
                {
                    // The runtime may still be writing the last lines when the container is reported stopped: read once more.
                    lastChance = true;
                    continue;
                }

                await Task.Delay(PollInterval, time, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>Cuts complete raw lines out of what was read (keeping an unfinished one for later) and joins partial ones.</summary>
    private static List<byte[]> Split(MemoryStream pending, ReadOnlyMemory<byte> chunk, Assembler assembler)
    {
        List<byte[]> lines = [];
        var data = chunk;
        while (true)
        {
            var newline = data.Span.IndexOf((byte)'\n');
            if (newline < 0)
            {
                pending.Write(data.Span);
                return lines;
            }

            ReadOnlyMemory<byte> raw;
            if (pending.Length > 0)
            {
                pending.Write(data.Span[..newline]);
                raw = pending.ToArray();
                pending.SetLength(0);
            }
            else
            {
                raw = data[..newline];
            }

            data = data[(newline + 1)..];
            if (assembler.Add(raw) is { } joined)
            {
                lines.Add(joined);
            }
        }
    }

    /// <summary>Joins P lines with the line that ends them; applies since and the timestamp prefix to the joined line.</summary>
    private sealed class Assembler(CriLogOptions options)
    {
        private readonly ArrayBufferWriter<byte> _partial = new();
        private bool _skipping;
        private bool _open;

        public byte[]? Add(ReadOnlyMemory<byte> raw)
        {
            if (!TryParse(raw, out var line))
            {
                return null;
            }

            if (!_open)
            {
                _open = true;
                _skipping = options.Since is { } since && line.Timestamp < since;
                if (!_skipping && options.Timestamps)
                {
                    _partial.Write(Encoding.ASCII.GetBytes(line.TimestampText + " "));
                }
            }

            if (!_skipping)
            {
                _partial.Write(line.Content.Span);
            }

            if (line.Partial)
            {
                return null;
            }

            _open = false;
            if (_skipping)
            {
                _partial.ResetWrittenCount();
                return null;
            }

            _partial.Write(Newline);
            var joined = _partial.WrittenSpan.ToArray();
            _partial.ResetWrittenCount();
            return joined;
        }

        public byte[]? Flush()
        {
            if (!_open || _skipping || _partial.WrittenCount == 0)
            {
                return null;
            }

            _open = false;
            var rest = _partial.WrittenSpan.ToArray();
            _partial.ResetWrittenCount();
            return rest;
        }
    }

    /// <summary>Writes lines up to the byte limit; false once the limit is reached.</summary>
    private sealed class Writer(Stream output, CriLogOptions options)
    {
        public long Written { get; private set; }

        public async ValueTask<bool> WriteAsync(byte[] line, CancellationToken cancellationToken)
        {
            var count = line.Length;
            if (options.LimitBytes is { } limit)
            {
                var left = limit - Written;
                if (left <= 0)
                {
                    return false;
                }

                count = (int)Math.Min(count, left);
            }

            await output.WriteAsync(line.AsMemory(0, count), cancellationToken).ConfigureAwait(false);
            Written += count;
            return options.LimitBytes is not { } max || Written < max;
        }
    }
}

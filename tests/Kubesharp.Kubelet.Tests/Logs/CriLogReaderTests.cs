using System.Text;
using Kubesharp.Kubelet.Logs;

namespace Kubesharp.Kubelet.Tests.Logs;

public sealed class CriLogReaderTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("kubesharp-logs-").FullName;

    private static readonly string[] Sample =
    [
        "2026-11-27T19:19:57.000000001Z stdout F one",
        "2026-11-27T19:19:58.5Z stderr P tw",
        "2026-11-27T19:19:58.6Z stderr F o",
        "2026-11-27T19:19:59.831371713Z stdout F three",
    ];

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Write(IEnumerable<string> lines)
    {
        var path = Path.Combine(_dir, Guid.NewGuid().ToString("N") + ".log");
        File.WriteAllText(path, string.Concat(lines.Select(l => l + "\n")));
        return path;
    }

    private static async Task<string> ReadAsync(string path, CriLogOptions options)
    {
        using var output = new MemoryStream();
        await CriLogReader.CopyAsync(path, options, output, () => false, TimeProvider.System, CancellationToken.None);
        return Encoding.UTF8.GetString(output.ToArray());
    }

    public static TheoryData<string, CriLogOptions, string> Cases() => new()
    {
        { "everything, partial lines joined", new CriLogOptions(), "one\ntwo\nthree\n" },
        { "tail counts joined lines", new CriLogOptions(TailLines: 2), "two\nthree\n" },
        { "tail 0", new CriLogOptions(TailLines: 0), "" },
        { "tail over the line count", new CriLogOptions(TailLines: 10), "one\ntwo\nthree\n" },
        { "since keeps later lines", new CriLogOptions(Since: DateTimeOffset.Parse("2026-11-27T19:19:58Z", System.Globalization.CultureInfo.InvariantCulture)), "two\nthree\n" },
        { "since filters a split line by its first chunk", new CriLogOptions(Since: DateTimeOffset.Parse("2026-11-27T19:19:58.55Z", System.Globalization.CultureInfo.InvariantCulture)), "three\n" },
        { "timestamps as written, the first chunk's on a joined line", new CriLogOptions(Timestamps: true), "2026-11-27T19:19:57.000000001Z one\n2026-11-27T19:19:58.5Z two\n2026-11-27T19:19:59.831371713Z three\n" },
        { "limitBytes cuts mid-line", new CriLogOptions(LimitBytes: 6), "one\ntw" },
        { "limitBytes with tail", new CriLogOptions(TailLines: 1, LimitBytes: 3), "thr" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Reads_as_asked(string name, CriLogOptions options, string expected)
    {
        var text = await ReadAsync(Write(Sample), options);

        Assert.True(expected == text, $"{name}: expected {expected!.ReplaceLineEndings("\\n")}, got {text.ReplaceLineEndings("\\n")}");
    }

    [Fact]
    public async Task Skips_lines_that_are_not_cri_format_and_keeps_a_trailing_partial_line()
    {
        var path = Write(["garbage", "2026-11-27T19:19:57Z stdout X bad-tag", "2026-11-27T19:19:57Z stdout F ok", "2026-11-27T19:19:57Z stdout P unfinished"]);

        Assert.Equal("ok\nunfinished", await ReadAsync(path, new CriLogOptions()));
    }

    [Fact]
    public async Task A_missing_file_reads_as_empty()
    {
        Assert.Equal("", await ReadAsync(Path.Combine(_dir, "none.log"), new CriLogOptions()));
    }

    [Fact]
    public void Parses_a_line_with_its_parts()
    {
        Assert.True(CriLogReader.TryParse("2026-11-27T19:19:57.831371713Z stderr P hello world"u8.ToArray(), out var line));

        Assert.Equal("2026-11-27T19:19:57.831371713Z", line.TimestampText);
        Assert.Equal("stderr", line.Stream);
        Assert.True(line.Partial);
        Assert.Equal("hello world", Encoding.UTF8.GetString(line.Content.Span));
        Assert.Equal(new DateTimeOffset(2026, 11, 27, 19, 19, 57, TimeSpan.Zero).AddTicks(8313717), line.Timestamp);
    }

    [Fact]
    public async Task Follow_streams_what_is_appended_until_the_container_stops()
    {
        var path = Write(["2026-11-27T19:19:57Z stdout F first"]);
        var running = true;
        var output = new NotifyingStream();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var reading = CriLogReader.CopyAsync(path, new CriLogOptions(Follow: true), output, () => Volatile.Read(ref running), TimeProvider.System, timeout.Token);

        await output.WaitForAsync("first\n", timeout.Token);
        await using (var append = new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.ReadWrite))
        {
            // Half a raw line, then the rest: the reader must wait for the newline.
            await append.WriteAsync("2026-11-27T19:19:58Z stdout P sec"u8.ToArray(), timeout.Token);
            await append.FlushAsync(timeout.Token);
            await append.WriteAsync("\n2026-11-27T19:19:58Z stdout F ond\n"u8.ToArray(), timeout.Token);
        }

        await output.WaitForAsync("first\nsecond\n", timeout.Token);
        Assert.False(reading.IsCompleted, "the reader stopped while the container was running");
        await File.AppendAllTextAsync(path, "2026-11-27T19:19:59Z stdout F last\n", timeout.Token);
        Volatile.Write(ref running, false);

        await reading;
        Assert.Equal("first\nsecond\nlast\n", output.Text);
    }

    [Fact]
    public async Task Follow_ends_quietly_when_the_caller_goes_away()
    {
        var path = Write(["2026-11-27T19:19:57Z stdout F first"]);
        var output = new NotifyingStream();
        using var cancel = new CancellationTokenSource();
        var reading = CriLogReader.CopyAsync(path, new CriLogOptions(Follow: true), output, () => true, TimeProvider.System, cancel.Token);
        await output.WaitForAsync("first\n", CancellationToken.None);

        await cancel.CancelAsync();

        Assert.Equal(6, await reading);
    }

    /// <summary>A memory stream whose readers can wait for a given content.</summary>
    private sealed class NotifyingStream : MemoryStream
    {
        private readonly SemaphoreSlim _written = new(0);

        public string Text
        {
            get
            {
                lock (this)
                {
                    return Encoding.UTF8.GetString(ToArray());
                }
            }
        }

        public override async Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            await WriteAsync(buffer.AsMemory(offset, count), cancellationToken);

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            lock (this)
            {
                Write(buffer.Span);
            }

            _written.Release();
            return ValueTask.CompletedTask;
        }

        public async Task WaitForAsync(string expected, CancellationToken cancellationToken)
        {
            while (Text != expected)
            {
                Assert.True(expected.StartsWith(Text, StringComparison.Ordinal), $"expected {expected}, got {Text}");
                await _written.WaitAsync(cancellationToken);
            }
        }

        protected override void Dispose(bool disposing)
        {
            _written.Dispose();
            base.Dispose(disposing);
        }
    }
}

using System.Threading.Channels;
using Kubesharp.Proxy.Proxier;
using Microsoft.Extensions.Time.Testing;

namespace Kubesharp.Proxy.Tests.Proxier;

public sealed class SyncRunnerTests
{
    [Fact]
    public async Task RequestsFoldTheMinimumIntervalHoldsAndThePeriodicSyncRuns()
    {
        var (time, started, runner) = RecordingRunner(burst: 1);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var loop = runner.RunLoopAsync(cts.Token);

        runner.Run();
        Assert.Equal(DateTimeOffset.UnixEpoch, await started.Reader.ReadAsync(cts.Token));

        // Three requests right after a sync fold into one, held back to one second after the first sync started.
        runner.Run();
        runner.Run();
        runner.Run();
        await AdvanceUntilAsync(time, started.Reader, TimeSpan.FromMilliseconds(100), cts.Token);
        // (Fake time moves in steps while the loop waits, so a sync starts at or just after the time it is due.)
        var second = await started.Reader.ReadAsync(cts.Token);
        Assert.InRange(second, DateTimeOffset.UnixEpoch.AddSeconds(1), DateTimeOffset.UnixEpoch.AddSeconds(2));
        Assert.False(started.Reader.TryPeek(out _), "the three requests caused more than one sync");

        // No request: the periodic resync 30 s after the last sync.
        await AdvanceUntilAsync(time, started.Reader, TimeSpan.FromSeconds(1), cts.Token);
        var periodic = await started.Reader.ReadAsync(cts.Token);
        Assert.InRange(periodic, second.AddSeconds(30), second.AddSeconds(32));

        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => loop);
    }

    [Fact]
    public async Task ABurstOfTwoRunsTwoSyncsBackToBackThenOnePerMinimumInterval()
    {
        var (time, started, runner) = RecordingRunner(burst: 2);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var loop = runner.RunLoopAsync(cts.Token);

        // Two requests, each after the previous sync: both run at once, with no time passing.
        runner.Run();
        Assert.Equal(DateTimeOffset.UnixEpoch, await started.Reader.ReadAsync(cts.Token));
        runner.Run();
        Assert.Equal(DateTimeOffset.UnixEpoch, await started.Reader.ReadAsync(cts.Token));

        // The bucket is empty: the third waits for a token, one minimum interval later.
        runner.Run();
        await Task.Delay(50, cts.Token);
        Assert.False(started.Reader.TryPeek(out _), "a third sync ran without waiting for the bucket to refill");
        await AdvanceUntilAsync(time, started.Reader, TimeSpan.FromMilliseconds(100), cts.Token);
        Assert.InRange(await started.Reader.ReadAsync(cts.Token), DateTimeOffset.UnixEpoch.AddSeconds(1), DateTimeOffset.UnixEpoch.AddSeconds(1.2));

        // After two idle intervals the bucket is full again: two more back to back.
        time.Advance(TimeSpan.FromSeconds(2.5));
        var idle = time.GetUtcNow();
        runner.Run();
        Assert.Equal(idle, await started.Reader.ReadAsync(cts.Token));
        runner.Run();
        Assert.Equal(idle, await started.Reader.ReadAsync(cts.Token));

        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => loop);
    }

    [Fact]
    public async Task AFailedSyncIsRetriedAfterTheRetryDelay()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UnixEpoch);
        var started = Channel.CreateUnbounded<DateTimeOffset>();
        var calls = 0;
        var runner = new SyncRunner(
            _ =>
            {
                started.Writer.TryWrite(time.GetUtcNow());
                return Interlocked.Increment(ref calls) == 1 ? throw new IOException("iptables-restore failed") : Task.FromResult(true);
            },
            TimeSpan.FromSeconds(1),
            TimeSpan.FromSeconds(60),
            TimeSpan.FromSeconds(5),
            time);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var loop = runner.RunLoopAsync(cts.Token);
        runner.Run();
        await started.Reader.ReadAsync(cts.Token);
        await AdvanceUntilAsync(time, started.Reader, TimeSpan.FromSeconds(1), cts.Token);
        Assert.InRange(await started.Reader.ReadAsync(cts.Token), DateTimeOffset.UnixEpoch.AddSeconds(5), DateTimeOffset.UnixEpoch.AddSeconds(7));
        Assert.Equal(1, runner.Failures);
        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => loop);
    }

    /// <summary>A runner (1 s minimum interval, 30 s period) on fake time whose syncs succeed and record when they start.</summary>
    private static (FakeTimeProvider Time, Channel<DateTimeOffset> Started, SyncRunner Runner) RecordingRunner(int burst)
    {
        var time = new FakeTimeProvider(DateTimeOffset.UnixEpoch);
        var started = Channel.CreateUnbounded<DateTimeOffset>();
        var runner = new SyncRunner(
            _ =>
            {
                started.Writer.TryWrite(time.GetUtcNow());
                return Task.FromResult(true);
            },
            TimeSpan.FromSeconds(1),
            TimeSpan.FromSeconds(30),
            TimeSpan.FromSeconds(30),
            time,
            burst);
        return (time, started, runner);
    }

    /// <summary>Advances fake time in steps until the loop has started another sync (bounded by the token).</summary>
    private static async Task AdvanceUntilAsync(FakeTimeProvider time, ChannelReader<DateTimeOffset> started, TimeSpan step, CancellationToken cancellationToken)
    {
        while (!started.TryPeek(out _))
        {
            cancellationToken.ThrowIfCancellationRequested();
            // Let the loop reach its next wait before moving time on.
            await Task.Delay(5, cancellationToken);
            if (!started.TryPeek(out _))
            {
                time.Advance(step);
            }
        }
    }
}

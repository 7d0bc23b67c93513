using Kubesharp.Kubelet.Cri;
using Kubesharp.Kubelet.Pods;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Kubesharp.Kubelet.Tests.Pods;

/// <summary>
/// The relist loop against a CRI endpoint that fails in ways other than "unavailable" (a runtime coming back after an
/// outage): the loop must outlive every failure and report the runtime healthy again once it answers.
/// </summary>
public sealed class RelisterTests
{
    private static readonly TimeSpan Guard = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task The_relist_loop_survives_errors_that_are_not_unavailable_and_recovers()
    {
        var socket = Path.Combine(Path.GetTempPath(), $"ks-cri-{Guid.NewGuid():N}.sock");
        var failuresLeft = 3;
        var answered = 0;
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.ListenUnixSocket(socket, l => l.Protocols = HttpProtocols.Http2));
        await using var app = builder.Build();
        app.MapPost("/runtime.v1.RuntimeService/{method}", async (HttpContext context) =>
        {
            context.Response.ContentType = "application/grpc";
            if (Interlocked.Decrement(ref failuresLeft) >= 0)
            {
                // A trailers-only answer with an error that is neither Unavailable nor DeadlineExceeded.
                context.Response.Headers["grpc-status"] = "13";
                context.Response.Headers["grpc-message"] = "transport is closing";
                return;
            }

            // After one good relist (two calls), calls hang: the stop below then always cuts a call short.
            if (Interlocked.Increment(ref answered) > 2)
            {
                await Task.Delay(Timeout.Infinite, context.RequestAborted);
            }

            // An empty list: one uncompressed, zero-length message, then OK.
            await context.Response.Body.WriteAsync(new byte[5]);
            context.Response.AppendTrailer("grpc-status", "0");
        });
        await app.StartAsync();
        try
        {
            using var cri = new CriClient(socket);
            var relister = new Relister(cri, TimeProvider.System, NullLogger.Instance);
            var health = new List<bool>();
            var recovered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            using var stop = new CancellationTokenSource();
            var loop = relister.RunAsync(
                TimeSpan.FromMilliseconds(50),
                (_, _) => { },
                healthy =>
                {
                    lock (health)
                    {
                        health.Add(healthy);
                    }

                    if (healthy)
                    {
                        recovered.TrySetResult();
                    }
                },
                stop.Token);

            await recovered.Task.WaitAsync(Guard);
            Assert.Equal(new[] { false, true }, health);
            Assert.True(relister.Healthy);
            Assert.False(loop.IsCompleted, $"the relist loop ended: {loop.Exception?.GetBaseException().Message}");

            // Stopping in the middle of a call ends the loop as a cancellation, not with the call's RpcException.
            await Task.Delay(200);
            await stop.CancelAsync();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => loop.WaitAsync(Guard));
        }
        finally
        {
            await app.StopAsync();
            File.Delete(socket);
        }
    }
}

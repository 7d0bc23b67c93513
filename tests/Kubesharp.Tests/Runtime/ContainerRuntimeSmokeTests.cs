using System.Net;
using System.Net.Http.Headers;
using Kubesharp.Testing.Runtime;

namespace Kubesharp.Tests.Runtime;

/// <summary>
/// The machine's runtime as <c>scripts/runtime.sh up</c> leaves it: containerd answers on its socket with both images
/// in the CRI's namespace, the registry serves them, and a container of the busybox image runs. Needs root and
/// containerd: skipped visibly otherwise, failed when <c>KUBESHARP_REQUIRE_RUNTIME=1</c>.
/// </summary>
public sealed class ContainerRuntimeSmokeTests
{
    [SkippableFact]
    public async Task Containerd_lists_the_pause_and_busybox_images_in_the_cri_namespace()
    {
        var runtime = ContainerRuntimeEnvironment.Get();
        Skip.IfNot(runtime.Available, runtime.SkipReason);

        var images = await runtime.CtrAsync("k8s.io", "images", "ls", "-q");

        Assert.True(images.ExitCode == 0, images.Describe());
        var names = images.Stdout.Split('\n', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        Assert.Contains(ContainerRuntimeEnvironment.PauseImage, names);
        Assert.Contains(ContainerRuntimeEnvironment.BusyboxImage, names);
        Assert.True(Directory.Exists(runtime.CniConfDir), $"{runtime.CniConfDir} (the CRI's CNI configuration directory) does not exist");
    }

    [SkippableTheory]
    [InlineData("library/busybox", "1.35")]
    [InlineData("library/pause", "3.10")]
    public async Task The_registry_serves_the_image_manifest(string repository, string tag)
    {
        var runtime = ContainerRuntimeEnvironment.Get();
        Skip.IfNot(runtime.Available, runtime.SkipReason);
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
        using var request = new HttpRequestMessage(HttpMethod.Get, $"http://{ContainerRuntimeEnvironment.Registry}/v2/{repository}/manifests/{tag}");
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/vnd.oci.image.manifest.v1+json"));
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/vnd.docker.distribution.manifest.v2+json"));

        using var response = await http.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/vnd.oci.image.manifest.v1+json", response.Content.Headers.ContentType?.MediaType);
        Assert.StartsWith("sha256:", response.Headers.GetValues("Docker-Content-Digest").Single(), StringComparison.Ordinal);
    }

    [SkippableFact]
    public async Task A_busybox_container_pulled_from_the_registry_runs()
    {
        var runtime = ContainerRuntimeEnvironment.Get();
        Skip.IfNot(runtime.Available, runtime.SkipReason);
        // A namespace of its own: the pull goes through the registry (the k8s.io namespace already has the image), and
        // nothing here shows up in the CRI.
        const string Namespace = "kubesharp-smoke";
        var id = $"smoke-{Guid.NewGuid():N}";

        var pull = await runtime.CtrAsync(Namespace, "images", "pull", "--plain-http", ContainerRuntimeEnvironment.BusyboxImage);
        Assert.True(pull.ExitCode == 0, pull.Describe());
        var run = await runtime.CtrAsync(Namespace, "run", "--rm", ContainerRuntimeEnvironment.BusyboxImage, id, "/bin/sh", "-c", "echo hi from $(cat /etc/hostname 2>/dev/null || hostname)");

        Assert.True(run.ExitCode == 0, run.Describe());
        Assert.StartsWith("hi from", run.Stdout, StringComparison.Ordinal);
        var containers = await runtime.CtrAsync(Namespace, "containers", "ls", "-q");
        Assert.DoesNotContain(id, containers.Stdout, StringComparison.Ordinal);
    }
}

using System.Text;
using CliWrap;
using CliWrap.Buffered;
using StreamFx.Bridge.Tests.Support;
using StreamFx.Host;

namespace StreamFx.Bridge.Tests;

/// <summary>The published NativeAOT streamfx-host (STREAMFX_HOST_PATH), spawned with CliWrap against a C# shim.</summary>
public sealed class PublishedHostTests(ModelFolders models) : IClassFixture<ModelFolders>
{
    private const string HostVariable = "STREAMFX_HOST_PATH";

    private static (CommandTask<CommandResult> Task, StringBuilder Stderr) Spawn(ShimSession shim, CancellationToken cancellationToken)
    {
        var stderr = new StringBuilder();
        CommandTask<CommandResult> task = Cli.Wrap(RequiresEnvironmentFactAttribute.PathFrom(HostVariable))
            .WithArguments(["--shm", shim.Region.Name, "--control", shim.Control.SocketPath])
            .WithStandardErrorPipe(PipeTarget.ToStringBuilder(stderr))
            .WithValidation(CommandResultValidation.None)
            .ExecuteAsync(cancellationToken);
        return (task, stderr);
    }

    [RequiresEnvironmentFact(HostVariable)]
    public async Task PublishedHostInvertsFramesAndExitsZeroWhenTheChannelCloses()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await using ShimSession shim = ShimSession.Create(32, 16);
        (CommandTask<CommandResult> host, StringBuilder stderr) = Spawn(shim, timeout.Token);
        await shim.AcceptAsync();
        ControlMessage? hello = await shim.ReadAsync();
        Assert.Equal(ControlMessage.Hello(1, 0, (uint)host.ProcessId), hello);

        await shim.SendAsync(ControlMessage.Configure(ModelFolders.ConfigureJson(models.Invert)));
        await shim.ReadStatusAsync("ready");
        uint sequence = 0xFFFFFFFD;
        for (int frame = 0; frame < 6; frame++, sequence++)
        {
            byte[] input = ShimSession.Picture(32, 16, 128, frame);
            (ControlMessage done, SlotHeader output, byte[] pixels) = await shim.ExchangeFrameAsync(sequence, 32, 16, 128, PixelFormat.Bgra8, 99, input);
            Assert.Equal(sequence, done.SourceSequence);
            Assert.Equal(sequence, output.SourceSequence);
            for (int i = 0; i < input.Length; i++)
            {
                Assert.Equal(i % 4 == 3 ? input[i] : 255 - input[i], pixels[i]);
            }
        }

        await shim.CloseAsync();
        CommandResult result = await host;
        Assert.True(result.ExitCode == HostExitCode.Ok, $"exit {result.ExitCode}: {stderr}");
        Assert.Equal(HostState.Stopping, shim.Region.Region.HostState);
    }

    [RequiresEnvironmentFact(HostVariable)]
    public async Task PublishedHostRunsTheDefaultDiffusionPackEndToEnd()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        await using ShimSession shim = ShimSession.Create(64, 48);
        (CommandTask<CommandResult> host, StringBuilder stderr) = Spawn(shim, timeout.Token);
        await shim.AcceptAsync();
        Assert.Equal(MessageType.Hello, (await shim.ReadAsync())?.Type);

        // The settings the shim sends by default: processing at the pack's 512, provider auto.
        string settings = "{\"prompt\":\"a photo of a cat\",\"strength\":0.5,\"steps\":1,\"resolution\":512,\"execution_provider\":\"auto\",\"bypass\":false,\"model_dir\":\""
            + System.Text.Json.JsonEncodedText.Encode(models.DefaultDiffusion) + "\"}";
        await shim.SendAsync(ControlMessage.Configure(settings));
        System.Text.Json.JsonElement ready = await shim.ReadStatusAsync("ready");
        Assert.Equal("default", ready.GetProperty("model").GetString());

        byte[] input = ShimSession.Picture(64, 48, 256, 0);
        for (int i = 0; i < input.Length; i += 4)
        {
            input[i] = (byte)(i % 256); // a smooth ramp in red: survives the synthetic autoencoder
        }

        (_, SlotHeader output, byte[] first) = await shim.ExchangeFrameAsync(1, 64, 48, 256, PixelFormat.Bgra8, 7, input);
        Assert.Equal((64u, 48u, PixelFormat.Bgra8, 7ul), (output.Width, output.Height, output.PixelFormat, output.CaptureTimeNs));
        Assert.NotEqual(input, first);
        (_, _, byte[] second) = await shim.ExchangeFrameAsync(2, 64, 48, 256, PixelFormat.Bgra8, 8, input);
        Assert.Equal(first, second);

        await shim.CloseAsync();
        CommandResult result = await host;
        Assert.True(result.ExitCode == HostExitCode.Ok, $"exit {result.ExitCode}: {stderr}");
        Assert.Contains("ready on", stderr.ToString());
    }

    [RequiresEnvironmentFact(HostVariable)]
    public async Task PublishedHostExitsZeroOnShutdown()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await using ShimSession shim = ShimSession.Create(8, 8);
        (CommandTask<CommandResult> host, StringBuilder stderr) = Spawn(shim, timeout.Token);
        await shim.AcceptAsync();
        Assert.Equal(MessageType.Hello, (await shim.ReadAsync())?.Type);
        await shim.SendAsync(ControlMessage.Shutdown());
        CommandResult result = await host;
        Assert.True(result.ExitCode == HostExitCode.Ok, $"exit {result.ExitCode}: {stderr}");
        Assert.Contains("SHUTDOWN received", stderr.ToString());
    }

    [RequiresEnvironmentFact(HostVariable)]
    public async Task PublishedHostRefusesABadRegionNamingTheField()
    {
        string name = ShimRegion.NewName();
        string path = ShimRegion.CreateFile(name, new TestRegionHeader { VersionMajor = 2 });
        try
        {
            BufferedCommandResult result = await Cli.Wrap(RequiresEnvironmentFactAttribute.PathFrom(HostVariable))
                .WithArguments(["--shm", name, "--control", "/nonexistent/socket"])
                .WithValidation(CommandResultValidation.None)
                .ExecuteBufferedAsync(new CancellationTokenSource(TimeSpan.FromSeconds(30)).Token);
            Assert.Equal(HostExitCode.RegionRefused, result.ExitCode);
            Assert.Contains("region header field version_major: expected 1, found 2", result.StandardError);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [RequiresEnvironmentFact(HostVariable)]
    public async Task PublishedHostPrintsItsVersionAndRejectsBadArguments()
    {
        string host = RequiresEnvironmentFactAttribute.PathFrom(HostVariable);
        BufferedCommandResult version = await Cli.Wrap(host).WithArguments(["--version"]).ExecuteBufferedAsync();
        Assert.Equal($"streamfx-host {Program.Version} (protocol 1.0)", version.StandardOutput.Trim());

        BufferedCommandResult bad = await Cli.Wrap(host).WithArguments(["--shm"]).WithValidation(CommandResultValidation.None).ExecuteBufferedAsync();
        Assert.Equal(HostExitCode.Usage, bad.ExitCode);
        Assert.Contains("--shm needs a value", bad.StandardError);
    }
}

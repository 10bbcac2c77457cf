using System.Text.Json;
using StreamFx.Bridge.Tests.Support;
using StreamFx.Host;

namespace StreamFx.Bridge.Tests;

/// <summary>
/// The host running stream-diffusion packs (HostRunner in process, C# shim over a real region and
/// socket): transformed frames, live settings without reloads, background loads that never stall
/// the stream, and load failures that keep the stream going.
/// </summary>
public sealed class DiffusionHostTests(DiffusionPacks packs) : IClassFixture<DiffusionPacks>
{
    private const uint Size = 64;
    private const uint RowBytes = Size * 4;

    private readonly StringWriter _hostLog = new();
    private readonly RecordingLoader _loader = new();

    private async Task<Task<int>> StartAsync(ShimSession shim)
    {
        Task<int> host = Task.Run(() => HostRunner.RunAsync(shim.Region.Name, shim.Control.SocketPath, TextWriter.Synchronized(_hostLog), CancellationToken.None, _loader.Load));
        await shim.AcceptAsync();
        Assert.Equal(MessageType.Hello, (await shim.ReadAsync())?.Type);
        return host;
    }

    /// <summary>A CONFIGURE object as the shim sends it, for the 64x64 test packs on the CPU.</summary>
    private static string Settings(string? modelDir, string prompt = "a photo of a cat", string provider = "cpu", long seed = 2)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("prompt", prompt);
            writer.WriteString("negative_prompt", "");
            writer.WriteStartArray("styles");
            writer.WriteStringValue("Anime: anime style, cel shading");
            writer.WriteEndArray();
            writer.WriteNumber("style_index", -1);
            writer.WriteNumber("transition_frames", 0);
            writer.WriteNumber("strength", 0.6);
            writer.WriteNumber("steps", 1);
            writer.WriteNumber("seed", seed);
            writer.WriteNumber("resolution", DiffusionPacks.Resolution);
            writer.WriteString("execution_provider", provider);
            writer.WriteBoolean("bypass", false);
            writer.WriteBoolean("active", true);
            writer.WriteString("model_dir", modelDir ?? "");
            writer.WriteEndObject();
        }

        return System.Text.Encoding.UTF8.GetString(buffer.ToArray());
    }

    /// <summary>Smooth gradients and a bright square: content the synthetic autoencoder keeps.</summary>
    private static byte[] Picture(int frame = 0)
    {
        var pixels = new byte[RowBytes * Size];
        for (int y = 0; y < Size; y++)
        {
            for (int x = 0; x < Size; x++)
            {
                int p = y * (int)RowBytes + x * 4;
                bool square = x >= 8 + frame && x < 24 + frame && y >= 20 && y < 36;
                pixels[p] = (byte)(x * 4);
                pixels[p + 1] = (byte)(y * 4);
                pixels[p + 2] = square ? (byte)240 : (byte)60;
                pixels[p + 3] = 255;
            }
        }

        return pixels;
    }

    private static async Task<byte[]> FrameAsync(ShimSession shim, uint sequence, byte[] input, PixelFormat format = PixelFormat.Rgba8)
    {
        (ControlMessage done, SlotHeader output, byte[] pixels) = await shim.ExchangeFrameAsync(sequence, Size, Size, RowBytes, format, sequence, input);
        Assert.Equal(sequence, done.SourceSequence);
        Assert.Equal(sequence, output.SourceSequence);
        return pixels;
    }

    private static double MeanAbsoluteDifference(byte[] a, byte[] b)
    {
        long sum = 0;
        for (int i = 0; i < a.Length; i++)
        {
            sum += Math.Abs(a[i] - b[i]);
        }

        return sum / (double)a.Length;
    }

    [Fact]
    public async Task ChoosingTensorRtRtxWithoutItsPluginRunsOnCpuAndStatusSaysWhy()
    {
        // No TensorRT-RTX plugin beside this test host: the explicit choice falls through to the CPU like any
        // unavailable provider, and STATUS names the provider and the missing file.
        await using ShimSession shim = ShimSession.Create(Size, Size);
        Task<int> host = await StartAsync(shim);
        await shim.SendAsync(ControlMessage.Configure(Settings(packs.Turbo, provider: "tensorrt-rtx")));
        JsonElement ready = await shim.ReadStatusAsync("ready");
        Assert.Equal("cpu", ready.GetProperty("provider").GetString());
        Assert.Equal(
            "tensorrt-rtx: TensorRT-RTX plugin not found: libonnxruntime_providers_nv_tensorrt_rtx.so is not beside the host (" + AppContext.BaseDirectory + ")",
            ready.GetProperty("providers_tried").GetString());
        byte[] input = Picture();
        Assert.True(MeanAbsoluteDifference(await FrameAsync(shim, 1, input), input) > 2, "frames are still transformed, on the CPU");
        await shim.SendAsync(ControlMessage.Shutdown());
        Assert.Equal(HostExitCode.Ok, await host.WaitAsync(ShimSession.Timeout));
    }

    [Fact]
    public async Task DiffusionPackTransformsFramesDeterministicallyAndReportsStagesAndProviders()
    {
        byte[] input = Picture();
        var outputs = new List<byte[]>();
        JsonElement? measured = null;
        for (int run = 0; run < 2; run++)
        {
            await using ShimSession shim = ShimSession.Create(Size, Size);
            Task<int> host = await StartAsync(shim);
            await shim.SendAsync(ControlMessage.Configure(Settings(packs.Turbo, provider: "auto")));
            JsonElement ready = await shim.ReadStatusAsync("ready");
            Assert.Equal("turbo64", ready.GetProperty("model").GetString());
            string provider = ready.GetProperty("provider").GetString()!;
            if (provider == "cpu")
            {
                // "auto" tried the GPU providers first; where they are missing, STATUS says why.
                string tried = ready.GetProperty("providers_tried").GetString()!;
                Assert.StartsWith("tensorrt: ", tried);
                Assert.Contains("; cuda: ", tried);
            }

            byte[] first = await FrameAsync(shim, 1, input);
            Assert.True(MeanAbsoluteDifference(first, input) > 2, $"the output must be transformed (mean |diff| {MeanAbsoluteDifference(first, input):0.00})");
            for (int i = 3; i < first.Length; i += 4)
            {
                Assert.Equal(input[i], first[i]); // alpha is the input's
            }

            // Same frame and settings, same output: within a session and across sessions.
            Assert.Equal(first, await FrameAsync(shim, 2, input));
            outputs.Add(first);

            // BGRA frames of the same picture give the same picture back in BGRA.
            byte[] bgra = SwapRedBlue(input);
            Assert.Equal(SwapRedBlue(first), await FrameAsync(shim, 3, bgra, PixelFormat.Bgra8));

            if (run == 0)
            {
                // Frames flow until the once-a-second STATUS with the pipeline's numbers arrives (bounded).
                var started = DateTime.UtcNow;
                for (uint seq = 4; measured is null; seq++)
                {
                    Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(30), "no STATUS with stages within 30 s of frames");
                    await FrameAsync(shim, seq, input);
                    foreach (string status in shim.Statuses)
                    {
                        using var document = JsonDocument.Parse(status);
                        if (document.RootElement.TryGetProperty("stages", out _) && document.RootElement.TryGetProperty("fps", out _))
                        {
                            measured = document.RootElement.Clone();
                        }
                    }
                }
            }

            await shim.SendAsync(ControlMessage.Shutdown());
            Assert.Equal(HostExitCode.Ok, await host.WaitAsync(ShimSession.Timeout));
        }

        Assert.Equal(outputs[0], outputs[1]);
        JsonElement report = measured!.Value;
        Assert.Equal("ready", report.GetProperty("state").GetString());
        Assert.True(report.GetProperty("fps").GetDouble() > 0);
        Assert.True(report.GetProperty("latency_ms").GetDouble() > 0);
        Assert.Equal(0, report.GetProperty("skipped").GetInt64());
        JsonElement stages = report.GetProperty("stages");
        foreach (string stage in new[] { "pre", "encode", "unet", "decode", "post" })
        {
            Assert.True(stages.GetProperty(stage).GetDouble() >= 0, stage);
        }

        Assert.True(stages.GetProperty("unet").GetDouble() > 0);
        Assert.Equal(2, _loader.Calls);
    }

    private static byte[] SwapRedBlue(byte[] pixels)
    {
        byte[] swapped = (byte[])pixels.Clone();
        for (int i = 0; i < swapped.Length; i += 4)
        {
            (swapped[i], swapped[i + 2]) = (swapped[i + 2], swapped[i]);
        }

        return swapped;
    }

    [Fact]
    public async Task PromptAndSeedChangesApplyLiveWithoutAReload()
    {
        await using ShimSession shim = ShimSession.Create(Size, Size);
        Task<int> host = await StartAsync(shim);
        await shim.SendAsync(ControlMessage.Configure(Settings(packs.Turbo, prompt: "a photo of a cat")));
        await shim.ReadStatusAsync("ready");
        int loadingStatuses = shim.Statuses.Count(s => s.Contains("\"state\":\"loading\""));
        TrackedEffect effect = Assert.Single(_loader.Effects);
        long textCalls = effect.Pipeline!.Status.TextEncoderCalls;

        byte[] input = Picture();
        byte[] cat = await FrameAsync(shim, 1, input);

        // A new prompt: the running pipeline encodes it (no new load, same effect instance) and the
        // next frame already shows it (transition_frames is 0).
        await shim.SendAsync(ControlMessage.Configure(Settings(packs.Turbo, prompt: "a painting of a dog")));
        byte[] dog = await FrameAsync(shim, 2, input);
        Assert.True(MeanAbsoluteDifference(cat, dog) > 0.5, $"the prompt change must show (mean |diff| {MeanAbsoluteDifference(cat, dog):0.000})");
        Assert.True(effect.Pipeline.Status.TextEncoderCalls > textCalls, "the new prompt went through the text encoder of the running pipeline");

        // Back to the first prompt: the same output as before; then a new seed changes it again.
        await shim.SendAsync(ControlMessage.Configure(Settings(packs.Turbo, prompt: "a photo of a cat")));
        Assert.Equal(cat, await FrameAsync(shim, 3, input));
        await shim.SendAsync(ControlMessage.Configure(Settings(packs.Turbo, prompt: "a photo of a cat", seed: 12345)));
        Assert.NotEqual(cat, await FrameAsync(shim, 4, input));

        Assert.Equal(1, _loader.Calls);
        Assert.Same(effect, Assert.Single(_loader.Effects));
        Assert.Equal(4, effect.Frames);
        Assert.Equal(4, effect.Pipeline.Status.FramesProcessed);
        Assert.False(effect.Disposed.IsCompleted);
        Assert.Equal(loadingStatuses, shim.Statuses.Count(s => s.Contains("\"state\":\"loading\"")));

        await shim.SendAsync(ControlMessage.Shutdown());
        Assert.Equal(HostExitCode.Ok, await host.WaitAsync(ShimSession.Timeout));
        await effect.Disposed.WaitAsync(ShimSession.Timeout);
    }

    [Fact]
    public async Task ModelChangeLoadsInTheBackgroundWhileFramesKeepFlowingThroughTheOldEffect()
    {
        await using ShimSession shim = ShimSession.Create(Size, Size);
        Task<int> host = await StartAsync(shim);
        await shim.SendAsync(ControlMessage.Configure(Settings(packs.Turbo)));
        await shim.ReadStatusAsync("ready");
        TrackedEffect old = Assert.Single(_loader.Effects);
        byte[] input = Picture();
        byte[] turbo = await FrameAsync(shim, 1, input);

        TaskCompletionSource gate = _loader.Hold(packs.Other);
        await shim.SendAsync(ControlMessage.Configure(Settings(packs.Other)));
        JsonElement loading = await shim.ReadStatusAsync("loading");
        Assert.Equal("other64", loading.GetProperty("model").GetString());

        // The load is held: every frame sent meanwhile is answered, by the old effect.
        for (uint seq = 2; seq < 8; seq++)
        {
            Assert.Equal(turbo, await FrameAsync(shim, seq, input));
        }

        // STATUS keeps saying "loading" (at least once a second) with the time so far and the loader's progress line.
        double elapsed = 0;
        for (int seen = 0; seen < 2;)
        {
            JsonElement status = await shim.ReadStatusAsync("loading");
            Assert.Equal("other64", status.GetProperty("model").GetString());
            if (status.TryGetProperty("elapsed_s", out JsonElement e) && e.GetDouble() > elapsed)
            {
                elapsed = e.GetDouble();
                Assert.Equal(RecordingLoader.HeldProgress, status.GetProperty("progress").GetString());
                seen++;
            }
        }

        Assert.True(elapsed >= 1, $"elapsed_s {elapsed}");
        Assert.False(old.Disposed.IsCompleted);
        Assert.Equal(7, old.Frames);

        gate.SetResult();
        JsonElement ready = await shim.ReadStatusAsync("ready");
        Assert.Equal("other64", ready.GetProperty("model").GetString());
        await old.Disposed.WaitAsync(ShimSession.Timeout); // the old effect goes once the new one took over

        byte[] other = await FrameAsync(shim, 8, input);
        Assert.True(MeanAbsoluteDifference(turbo, other) > 0.5, "the new pack's weights must show");
        Assert.Equal(2, _loader.Calls);
        Assert.Equal(1, _loader.Effects.Last().Frames);
        Assert.Equal(7, old.Frames);

        await shim.SendAsync(ControlMessage.Shutdown());
        Assert.Equal(HostExitCode.Ok, await host.WaitAsync(ShimSession.Timeout));
    }

    [Fact]
    public async Task ANewerConfigureDuringALoadWinsAndTheStaleResultIsDiscarded()
    {
        await using ShimSession shim = ShimSession.Create(Size, Size);
        Task<int> host = await StartAsync(shim);
        TaskCompletionSource gate = _loader.Hold(packs.Other);
        await shim.SendAsync(ControlMessage.Configure(Settings(packs.Other)));
        Assert.Equal("other64", (await shim.ReadStatusAsync("loading")).GetProperty("model").GetString());

        // Frames during the load pass through (there was no model before).
        byte[] input = Picture();
        Assert.Equal(input, await FrameAsync(shim, 1, input));

        await shim.SendAsync(ControlMessage.Configure(Settings(packs.Turbo)));
        Assert.Equal("turbo64", (await shim.ReadStatusAsync("ready")).GetProperty("model").GetString());
        byte[] turbo = await FrameAsync(shim, 2, input);
        Assert.NotEqual(input, turbo);

        // The stale load was cancelled before turbo64's started (one load at a time): it built nothing; turbo64 stays.
        gate.SetResult();
        Assert.Equal(turbo, await FrameAsync(shim, 3, input));
        TrackedEffect built = Assert.Single(_loader.Effects);
        Assert.Equal("turbo64", Path.GetFileName(built.Pipeline!.Manifest.Folder));
        Assert.Equal(2, _loader.Calls);
        Assert.Contains("superseded", _hostLog.ToString());

        await shim.SendAsync(ControlMessage.Shutdown());
        Assert.Equal(HostExitCode.Ok, await host.WaitAsync(ShimSession.Timeout));
        string last = shim.Statuses[^1];
        Assert.Contains("\"model\":\"turbo64\"", last);
    }

    [Fact]
    public async Task CorruptPackReportsTheFileAndTheStreamContinues()
    {
        await using ShimSession shim = ShimSession.Create(Size, Size);
        Task<int> host = await StartAsync(shim);
        byte[] input = Picture();

        // From passthrough: the error names the broken file; frames still pass through.
        await shim.SendAsync(ControlMessage.Configure(Settings(packs.Corrupt)));
        JsonElement error = await shim.ReadStatusAsync("error");
        Assert.Contains(packs.CorruptFile, error.GetProperty("error").GetString());
        Assert.Equal("corrupt64", error.GetProperty("model").GetString());
        Assert.Equal(input, await FrameAsync(shim, 1, input));
        Assert.Contains(shim.Logs, log => log.Contains(packs.CorruptFile));
        Assert.Contains(packs.CorruptFile, _hostLog.ToString());

        // With a good pack running, a corrupt one keeps it running.
        await shim.SendAsync(ControlMessage.Configure(Settings(packs.Turbo)));
        await shim.ReadStatusAsync("ready");
        byte[] turbo = await FrameAsync(shim, 2, input);
        await shim.SendAsync(ControlMessage.Configure(Settings(packs.Corrupt, prompt: "another prompt")));
        error = await shim.ReadStatusAsync("error");
        Assert.Contains(packs.CorruptFile, error.GetProperty("error").GetString());
        Assert.Contains("still running 'turbo64'", error.GetProperty("error").GetString());
        Assert.Equal(turbo, await FrameAsync(shim, 3, input));

        // A settings-only CONFIGURE for the broken folder does not retry it; going back to the good one clears the error.
        int calls = _loader.Calls;
        await shim.SendAsync(ControlMessage.Configure(Settings(packs.Corrupt, prompt: "yet another")));
        await shim.SendAsync(ControlMessage.Configure(Settings(packs.Turbo)));
        JsonElement ready = await shim.ReadStatusAsync("ready");
        Assert.False(ready.TryGetProperty("error", out _));
        Assert.Equal(calls, _loader.Calls);
        Assert.Equal(turbo, await FrameAsync(shim, 4, input));

        await shim.SendAsync(ControlMessage.Shutdown());
        Assert.Equal(HostExitCode.Ok, await host.WaitAsync(ShimSession.Timeout));
    }

    [Fact]
    public async Task InvalidSettingsAreReportedByKeyAndThePreviousOnesStayInForce()
    {
        await using ShimSession shim = ShimSession.Create(Size, Size);
        Task<int> host = await StartAsync(shim);
        await shim.SendAsync(ControlMessage.Configure(Settings(packs.Turbo)));
        await shim.ReadStatusAsync("ready");
        byte[] input = Picture();
        byte[] before = await FrameAsync(shim, 1, input);

        await shim.SendAsync(ControlMessage.Configure("{\"strength\":7}"));
        JsonElement error = await shim.ReadStatusAsync("error");
        Assert.Equal("CONFIGURE setting \"strength\": expected a number in 0..1, found 7", error.GetProperty("error").GetString());
        Assert.Equal(before, await FrameAsync(shim, 2, input));

        // bypass passes frames through without a reload; turning it off brings the effect back.
        await shim.SendAsync(ControlMessage.Configure("{\"bypass\":true}"));
        await shim.ReadStatusAsync("ready");
        Assert.Equal(input, await FrameAsync(shim, 3, input));
        await shim.SendAsync(ControlMessage.Configure("{\"bypass\":false}"));
        Assert.Equal(before, await FrameAsync(shim, 4, input));
        Assert.Equal(1, _loader.Calls);

        await shim.SendAsync(ControlMessage.Shutdown());
        Assert.Equal(HostExitCode.Ok, await host.WaitAsync(ShimSession.Timeout));
    }
}

using System.Buffers.Binary;
using StreamFx.Onnx;

namespace StreamFx.ModelPack.Tests;

public class DeferredTensorTests
{
    private static byte[] Floats(params float[] values)
    {
        var raw = new byte[values.Length * 4];
        for (int i = 0; i < values.Length; i++) BinaryPrimitives.WriteSingleLittleEndian(raw.AsSpan(i * 4), values[i]);
        return raw;
    }

    private static OnnxModel Scale(Func<byte[]> weights)
    {
        var g = new OnnxGraphBuilder("scale");
        g.AddInput("x", OnnxElementType.Float, 3);
        string w = g.AddInitializer(OnnxTensor.Deferred("w", OnnxElementType.Float, weights, 3));
        g.AddNode("Mul", ["x", w], ["y"]);
        g.AddOutput("y", OnnxElementType.Float, 3);
        return new OnnxModel(g);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void DeferredWeightsAreMadeOnceAtWriteTimeInlineOrAsExternalData(bool external)
    {
        using var folder = new TempFolder();
        int made = 0;
        var model = Scale(() => { made++; return Floats(2f, -3f, 0.5f); });
        Assert.Equal(0, made);
        Assert.Equal(12, model.Graph.InitializerBytes);

        string path = folder.Combine("m", "model.onnx");
        if (external) OnnxModelWriter.WriteFileWithExternalData(model, path, "model.onnx_data", minBytes: 4);
        else OnnxModelWriter.WriteFile(model, path);
        Assert.Equal(1, made);
        // External: the 12 weight bytes are in the side file, not in the model.
        string data = folder.Combine("m", "model.onnx_data");
        Assert.Equal(external ? 12 : -1, File.Exists(data) ? new FileInfo(data).Length : -1);

        // ONNX Runtime reads the weights back from wherever they went.
        using var runner = new OnnxSessionRunner(path);
        var y = runner.Run(("x", [1f, 2f, 4f], [3]))["y"].Data;
        Assert.Equal([2f, -6f, 2f], y);
    }

    [Fact]
    public void ADeferredTensorOfTheWrongSizeIsRefusedWithItsName()
    {
        var model = Scale(() => Floats(1f, 2f));
        var e = Assert.Throws<InvalidOperationException>(() => OnnxModelWriter.ToBytes(model));
        Assert.Contains("tensor 'w'", e.Message);
        Assert.Contains("needs 12", e.Message);
    }
}

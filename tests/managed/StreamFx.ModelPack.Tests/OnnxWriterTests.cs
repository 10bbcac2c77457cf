using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using StreamFx.Onnx;

namespace StreamFx.ModelPack.Tests;

public sealed class OnnxWriterTests
{
    [Fact]
    public void Varints_match_the_protobuf_encoding()
    {
        var w = new ProtoWriter();
        w.WriteInt64(1, 150);
        Assert.Equal(new byte[] { 0x08, 0x96, 0x01 }, w.ToArray());

        var neg = new ProtoWriter();
        neg.WriteInt32(2, -1);
        // Negative int32 is sign-extended: tag 0x10 then ten bytes.
        Assert.Equal(new byte[] { 0x10, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01 }, neg.ToArray());

        var s = new ProtoWriter();
        s.WriteString(2, "testing");
        Assert.Equal(new byte[] { 0x12, 0x07, 0x74, 0x65, 0x73, 0x74, 0x69, 0x6e, 0x67 }, s.ToArray());
    }

    [Fact]
    public void Runtime_runs_a_graph_with_every_initializer_type_and_symbolic_dims()
    {
        var g = new OnnxGraphBuilder("types");
        g.AddInput("x", OnnxElementType.Float, "batch", 3);
        g.AddInput("ids", OnnxElementType.Int32, "batch");
        string scale = g.AddInitializer(OnnxTensor.FromFloatAsHalf("scale_h", [0.5f, 2f, -1f], 3));
        string scaleF = g.Op("Cast", [scale], OnnxAttribute.Int("to", (long)OnnxElementType.Float));
        string table = g.AddInitializer(OnnxTensor.FromFloat("table", [10f, 20f, 30f, 40f], 4, 1));
        string ids64 = g.Op("Cast", ["ids"], OnnxAttribute.Int("to", (long)OnnxElementType.Int64));
        string offset = g.AddInitializer(OnnxTensor.FromInt64("offset", [1L]));
        string shifted = g.Op("Add", [ids64, offset]);
        string rows = g.Op("Gather", [table, shifted], OnnxAttribute.Int("axis", 0));
        string scaled = g.Op("Mul", ["x", scaleF]);
        g.AddNode("Add", [scaled, rows], ["y"]);
        g.AddOutput("y", OnnxElementType.Float, "batch", 3);
        byte[] bytes = OnnxModelWriter.ToBytes(new OnnxModel(g).WithMetadata("k", "v"));

        using var session = new InferenceSession(bytes);
        Assert.Equal("v", session.ModelMetadata.CustomMetadataMap["k"]);
        Assert.Equal(new[] { -1, 3 }, session.InputMetadata["x"].Dimensions);
        Assert.Equal("batch", session.InputMetadata["x"].SymbolicDimensions[0]);

        var x = new DenseTensor<float>(new float[] { 1, 1, 1, 2, 2, 2 }, [2, 3]);
        var ids = new DenseTensor<int>(new[] { 0, 2 }, [2]);
        using var results = session.Run([NamedOnnxValue.CreateFromTensor("x", x), NamedOnnxValue.CreateFromTensor("ids", ids)]);
        float[] y = results.First().AsEnumerable<float>().ToArray();
        Assert.Equal(new float[] { 20.5f, 22f, 19f, 41f, 44f, 38f }, y);
    }

    [Fact]
    public void Undefined_node_input_is_reported_by_name()
    {
        var g = new OnnxGraphBuilder("bad");
        g.AddInput("x", OnnxElementType.Float, 1);
        var e = Assert.Throws<InvalidOperationException>(() => g.Op("Add", ["x", "missing"]));
        Assert.Contains("'missing'", e.Message);
    }
}

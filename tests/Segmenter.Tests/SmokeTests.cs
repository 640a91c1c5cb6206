namespace Segmenter.Tests; public class SmokeTests { [Fact] public void Loads() { Assert.Equal(6f, TorchSharp.torch.ones(2,3).sum().item<float>()); } }

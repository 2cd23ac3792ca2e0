"""Seconds per ClavaDDPM diffusion training step on CPU (its MLPDiffusion, default and small sizes)."""
import sys, time, torch
sys.path.insert(0, "/tmp/peer_probe/src/clavaddpm")
from tab_ddpm.modules import MLPDiffusion
torch.set_num_threads(1)
for layers, batch in [([512, 1024, 1024, 1024, 1024, 512], 4096), ([256, 256], 4096), ([256, 256], 1024)]:
    m = MLPDiffusion(d_in=10, num_classes=0, is_y_cond="none", rtdl_params={"d_layers": layers, "dropout": 0.0})
    opt = torch.optim.AdamW(m.parameters(), lr=1e-3)
    x, t = torch.randn(batch, 10), torch.randint(0, 1000, (batch,))
    for i in range(4):
        if i == 1: t0 = time.time()
        loss = ((m(x, t) - x) ** 2).mean(); opt.zero_grad(); loss.backward(); opt.step()
    print(layers, batch, f"{(time.time() - t0) / 3:.3f} s/step", flush=True)

"""The public verification page of a 文书 (/verify/{token}): Chinese, mobile-first, one
HTML answer with its own style and script inline (no other host: the CSP allows inline
blocks by hash, api/headers.py), and no personal data: number, unit, date, kind, hash,
status; never a party, a field or the PDF.

Whoever holds a copy checks it two ways: by the QR code (this page says whether the
number is genuine and still in force), and by the file's SHA-256 — typed in, or computed
in the browser from the chosen file (Web Crypto, or the page's own SHA-256 where the
browser offers none: a page served over plain HTTP on an intranet) — which the page
compares with the one recorded when the document was locked.
"""

from html import escape

from core.documents.service import PublicView

_STYLE = """
*{box-sizing:border-box}body{margin:0;font-family:system-ui,-apple-system,"PingFang SC",
"Microsoft YaHei","WenQuanYi Micro Hei",sans-serif;background:#f3f5f7;color:#1d2329;
line-height:1.6}main{max-width:40rem;margin:0 auto;padding:1rem}
h1{font-size:1.3rem;margin:.5rem 0 1rem}.card{background:#fff;border-radius:.6rem;
padding:1rem;margin-bottom:1rem;box-shadow:0 1px 3px rgba(0,0,0,.08)}
.badge{display:inline-block;padding:.15rem .7rem;border-radius:1rem;font-weight:600}
.valid{background:#e3f5e8;color:#146c2e}.revoked{background:#fde8e8;color:#a61b1b}
dl{margin:0}dt{color:#5b6670;font-size:.85rem;margin-top:.6rem}dd{margin:0;font-size:1rem}
.hash{font-family:ui-monospace,Menlo,Consolas,monospace;word-break:break-all;font-size:.85rem}
.verdict{padding:1rem;border-radius:.6rem;margin-bottom:1rem;font-weight:600}
.ok{background:#e3f5e8;color:#146c2e;border:1px solid #9bd3ab}
.bad{background:#fde8e8;color:#a61b1b;border:1px solid #f0a8a8}
.warn{background:#fff4e0;color:#8a5300;border:1px solid #f0c98a}
label{display:block;margin:.6rem 0 .3rem;color:#5b6670;font-size:.9rem}
input[type=text]{width:100%;padding:.6rem;font-size:.9rem;border:1px solid #c5ccd3;
border-radius:.4rem;font-family:ui-monospace,Menlo,Consolas,monospace}
button{margin-top:.8rem;width:100%;padding:.7rem;font-size:1rem;border:0;border-radius:.4rem;
background:#1d5fbf;color:#fff}small{color:#5b6670}
"""

_SCRIPT = """
function sha256(buffer){
 const K=new Uint32Array([0x428a2f98,0x71374491,0xb5c0fbcf,0xe9b5dba5,0x3956c25b,0x59f111f1,
 0x923f82a4,0xab1c5ed5,0xd807aa98,0x12835b01,0x243185be,0x550c7dc3,0x72be5d74,0x80deb1fe,
 0x9bdc06a7,0xc19bf174,0xe49b69c1,0xefbe4786,0x0fc19dc6,0x240ca1cc,0x2de92c6f,0x4a7484aa,
 0x5cb0a9dc,0x76f988da,0x983e5152,0xa831c66d,0xb00327c8,0xbf597fc7,0xc6e00bf3,0xd5a79147,
 0x06ca6351,0x14292967,0x27b70a85,0x2e1b2138,0x4d2c6dfc,0x53380d13,0x650a7354,0x766a0abb,
 0x81c2c92e,0x92722c85,0xa2bfe8a1,0xa81a664b,0xc24b8b70,0xc76c51a3,0xd192e819,0xd6990624,
 0xf40e3585,0x106aa070,0x19a4c116,0x1e376c08,0x2748774c,0x34b0bcb5,0x391c0cb3,0x4ed8aa4a,
 0x5b9cca4f,0x682e6ff3,0x748f82ee,0x78a5636f,0x84c87814,0x8cc70208,0x90befffa,0xa4506ceb,
 0xbef9a3f7,0xc67178f2]);
 const H=new Uint32Array([0x6a09e667,0xbb67ae85,0x3c6ef372,0xa54ff53a,0x510e527f,0x9b05688c,
 0x1f83d9ab,0x5be0cd19]);
 const bytes=new Uint8Array(buffer),n=bytes.length,total=((n+72)>>6)<<6;
 const m=new Uint8Array(total);m.set(bytes);m[n]=0x80;
 const view=new DataView(m.buffer);
 view.setUint32(total-8,Math.floor(n/536870912));view.setUint32(total-4,(n*8)>>>0);
 const W=new Uint32Array(64),r=(x,k)=>(x>>>k)|(x<<(32-k));
 for(let o=0;o<total;o+=64){
  for(let i=0;i<16;i++)W[i]=view.getUint32(o+4*i);
  for(let i=16;i<64;i++){
   const s0=r(W[i-15],7)^r(W[i-15],18)^(W[i-15]>>>3),s1=r(W[i-2],17)^r(W[i-2],19)^(W[i-2]>>>10);
   W[i]=(W[i-16]+s0+W[i-7]+s1)|0;}
  let a=H[0],b=H[1],c=H[2],d=H[3],e=H[4],f=H[5],g=H[6],h=H[7];
  for(let i=0;i<64;i++){
   const t1=(h+(r(e,6)^r(e,11)^r(e,25))+((e&f)^(~e&g))+K[i]+W[i])|0;
   const t2=((r(a,2)^r(a,13)^r(a,22))+((a&b)^(a&c)^(b&c)))|0;
   h=g;g=f;f=e;e=(d+t1)|0;d=c;c=b;b=a;a=(t1+t2)|0;}
  H[0]+=a;H[1]+=b;H[2]+=c;H[3]+=d;H[4]+=e;H[5]+=f;H[6]+=g;H[7]+=h;}
 return Array.from(H,x=>x.toString(16).padStart(8,'0')).join('');
}
async function digestHex(buffer){
 if(!(window.crypto&&crypto.subtle))return sha256(buffer);  // plain HTTP: no Web Crypto
 const digest=new Uint8Array(await crypto.subtle.digest('SHA-256',buffer));
 return Array.from(digest,x=>x.toString(16).padStart(2,'0')).join('');
}
const file=document.getElementById('file'),hash=document.getElementById('sha256'),
note=document.getElementById('note');
file.addEventListener('change',async()=>{
 if(!file.files.length)return;
 note.textContent='正在计算……';
 hash.value=await digestHex(await file.files[0].arrayBuffer());
 note.textContent='';hash.form.submit();
});
"""


def _page(title: str, content: str) -> str:
    return (f'<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width,initial-scale=1">'
            f'<meta name="robots" content="noindex">'
            f"<title>{escape(title)}</title><style>{_STYLE}</style></head>"
            f"<body><main>{content}</main></body></html>")


def verification_page(view: PublicView, *, asked: str | None) -> str:
    """The page of a locked document; `asked`: a SHA-256 to compare (already well-formed)."""
    badge = (f'<span class="badge {view.status}">{escape(view.status_label)}</span>')
    verdict = _verdict(view, asked) if asked else ""
    revoked = (f"<dt>撤销日期</dt><dd>{escape(view.revoked_on)}</dd>"
               if view.revoked_on else "")
    details = (
        '<section class="card"><dl>'
        f"<dt>状态</dt><dd>{badge}</dd>{revoked}"
        f"<dt>文书名称</dt><dd>{escape(view.title)}</dd>"
        f"<dt>文号</dt><dd>{escape(view.number)}</dd>"
        f"<dt>出具单位</dt><dd>{escape(view.unit_name)}</dd>"
        f"<dt>成文日期</dt><dd>{escape(view.dated)}</dd>"
        f'<dt>原件 SHA-256</dt><dd class="hash">{escape(view.sha256)}</dd>'
        "</dl></section>")
    form = (
        '<section class="card"><form method="get">'
        "<strong>核对您手中的电子文件</strong>"
        '<label for="file">选择 PDF 文件（在本机计算，不会上传）</label>'
        '<input id="file" type="file" accept="application/pdf">'
        '<label for="sha256">或输入文件的 SHA-256</label>'
        f'<input id="sha256" name="sha256" type="text" inputmode="latin" autocomplete="off" '
        f'pattern="[0-9a-fA-F]{{64}}" maxlength="64" required value="{escape(asked or "")}">'
        '<small id="note"></small><button type="submit">核对</button></form></section>'
        f"<script>{_SCRIPT}</script>")
    intro = ("<p><small>本页由出具单位的系统生成，仅显示文书的编号、出具单位、日期和存档原件的"
             "哈希值，不显示当事人信息。</small></p>")
    return _page(f"文书核验 {view.number}",
                 f"<h1>文书核验</h1>{verdict}{details}{form}{intro}")


def _verdict(view: PublicView, asked: str) -> str:
    if not view.matches(asked):
        return ('<div class="verdict bad" role="alert">✗ 不一致：所核对的文件与存档原件不符，'
                "可能已被修改或并非本文书，请勿采信，并向出具单位核实。</div>")
    if view.status == "revoked":
        return ('<div class="verdict warn" role="alert">文件与存档原件一致，但本文书已于'
                f"{escape(view.revoked_on or '')}撤销，已不再有效。</div>")
    return ('<div class="verdict ok" role="status">✓ 一致：所核对的文件与存档原件一致，'
            "本文书真实有效。</div>")


def not_found_page() -> str:
    return _page("文书核验", "<h1>文书核验</h1><div class=\"verdict bad\" role=\"alert\">"
                 "未找到该文书。请核对二维码或链接是否完整；如有疑问，请向出具单位核实。</div>")

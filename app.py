"""The LauraGPT web demo as a Hugging Face Space (``gradio app.py``); all of its code is modeling_lauragpt/web_demo.py,
the same app ``lauragpt serve`` starts."""

from modeling_lauragpt.web_demo import build_app, launch

demo = build_app()  # the embedded default model

if __name__ == "__main__":
    launch(demo)

from ocpiwh.cli.main import run

if __name__ == "__main__":  # `python -m ocpiwh`; importing the module runs nothing
    run()

"""The CAF return as a CSV (« ; », UTF-8 with BOM, as French Excel reads it) and as an Excel workbook
(openpyxl): the summary per age band, then the detail per child."""
import csv
import io

from openpyxl import Workbook
from openpyxl.styles import Font

SUMMARY_HEADER = ["Tranche d'âge", "Enfants", "Actes (jours)", "Heures réalisées"]
DETAIL_HEADER = ["Nom", "Prénom", "Né(e) le", "Tranche d'âge", "Actes (jours)", "Heures réalisées"]


def _title(report):
    return (f"Bilan CAF – {report['activity'].name} – du {report['start']:%d/%m/%Y} "
            f"au {report['end']:%d/%m/%Y}")


def _summary(report):
    return [[r["label"], r["children"], r["acts"], r["minutes"] / 60] for r in report["rows"]] + [
        ["Total", report["total"]["children"], report["total"]["acts"], report["total"]["minutes"] / 60]]


def _detail(report):
    return [[d["last_name"], d["first_name"], d["birth_date"], d["band"], d["acts"], d["minutes"] / 60]
            for d in report["detail"]]


def caf_csv(report):
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out, delimiter=";")
    writer.writerow([_title(report)])
    writer.writerow(SUMMARY_HEADER)
    for row in _summary(report):
        writer.writerow(row[:3] + [f"{row[3]:.2f}".replace(".", ",")])
    writer.writerow([])
    writer.writerow(DETAIL_HEADER)
    for row in _detail(report):
        writer.writerow(row[:2] + [f"{row[2]:%d/%m/%Y}"] + row[3:5] + [f"{row[5]:.2f}".replace(".", ",")])
    return out.getvalue().encode("utf-8")


def caf_xlsx(report):
    book = Workbook()
    sheet = book.active
    sheet.title = "Bilan"
    sheet.append([_title(report)])
    sheet["A1"].font = Font(bold=True)
    sheet.append(SUMMARY_HEADER)
    for row in _summary(report):
        sheet.append(row)
        sheet.cell(row=sheet.max_row, column=4).number_format = "0.00"
    detail = book.create_sheet("Détail par enfant")
    detail.append(DETAIL_HEADER)
    for row in _detail(report):
        detail.append(row)
        detail.cell(row=detail.max_row, column=3).number_format = "DD/MM/YYYY"
        detail.cell(row=detail.max_row, column=6).number_format = "0.00"
    for ws in (sheet, detail):
        for cell in ws[2 if ws is sheet else 1]:
            cell.font = Font(bold=True)
        ws.column_dimensions["A"].width = 22
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
